import { lazy } from 'react';
import BadgeIcon from '@mui/icons-material/Badge';

import { requireAccess } from '../common/RequireAccess';

// Admin-only screens: loaded on demand, and only for admins. No delete: staff are deactivated
// from the edit page.
export default {
  list: requireAccess(
    'staff',
    'list',
    lazy(() => import('./StaffList')),
  ),
  create: requireAccess(
    'staff',
    'create',
    lazy(() => import('./StaffCreate')),
  ),
  edit: requireAccess(
    'staff',
    'edit',
    lazy(() => import('./StaffEdit')),
  ),
  icon: BadgeIcon,
  recordRepresentation: 'name',
};
