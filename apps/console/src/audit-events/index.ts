import { lazy } from 'react';
import HistoryIcon from '@mui/icons-material/History';

import { requireAccess } from '../common/RequireAccess';

// Admin-only screens: loaded on demand, never on the first load, and only for admins.
export default {
  list: requireAccess(
    'audit-events',
    'list',
    lazy(() => import('./AuditEventList')),
  ),
  show: requireAccess(
    'audit-events',
    'show',
    lazy(() => import('./AuditEventShow')),
  ),
  icon: HistoryIcon,
};
