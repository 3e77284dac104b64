import { lazy } from 'react';
import UploadFileIcon from '@mui/icons-material/UploadFile';

import { requireAccess } from '../common/RequireAccess';

// Admin-only screens: loaded on demand, and only for admins.
export default {
  list: requireAccess(
    'imports',
    'list',
    lazy(() => import('./ChartImportList')),
  ),
  show: requireAccess(
    'imports',
    'show',
    lazy(() => import('./ChartImportShow')),
  ),
  icon: UploadFileIcon,
};
