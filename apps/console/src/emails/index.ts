import { lazy } from 'react';
import EmailIcon from '@mui/icons-material/Email';

import { requireAccess } from '../common/RequireAccess';

// Admin-only screens: loaded on demand, and only for admins.
export default {
  list: requireAccess(
    'emails',
    'list',
    lazy(() => import('./EmailList')),
  ),
  show: requireAccess(
    'emails',
    'show',
    lazy(() => import('./EmailShow')),
  ),
  icon: EmailIcon,
};
