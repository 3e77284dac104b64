import { lazy } from 'react';
import InboxIcon from '@mui/icons-material/Inbox';

// Development helper for all staff: loaded on demand.
export default {
  list: lazy(() => import('./DevMailbox')),
  icon: InboxIcon,
};
