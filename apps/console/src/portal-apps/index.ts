import { lazy } from 'react';
import AppsIcon from '@mui/icons-material/Apps';

import { requireAccess } from '../common/RequireAccess';

// Admin-only: the practice's patient-portal apps (OpenID Connect clients of ResetDesk).
export default {
  list: requireAccess(
    'portal-apps',
    'list',
    lazy(() => import('./PortalAppList')),
  ),
  create: requireAccess(
    'portal-apps',
    'create',
    lazy(() => import('./PortalAppCreate')),
  ),
  edit: requireAccess(
    'portal-apps',
    'edit',
    lazy(() => import('./PortalAppEdit')),
  ),
  icon: AppsIcon,
  recordRepresentation: 'name',
};
