import { lazy } from 'react';
import SettingsIcon from '@mui/icons-material/Settings';

import { requireAccess } from '../common/RequireAccess';

// Admin-only, loaded on demand: one page, no records to list.
export default {
  list: requireAccess(
    'practice-settings',
    'list',
    lazy(() => import('./PracticeSettingsPage')),
  ),
  icon: SettingsIcon,
};
