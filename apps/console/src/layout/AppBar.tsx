import { Box, Typography } from '@mui/material';
import { AppBar, Logout, MenuItemLink, TitlePortal, UserMenu } from 'react-admin';

import { ROLE_LABELS, labelFor } from '../common/labels';
import { useStaffUser } from '../common/useStaffUser';

/** The top bar: page title, then the practice and the signed-in staff member. */
export const RdAppBar = () => {
  const { user } = useStaffUser();
  return (
    // The menu button shows the user's name, so its accessible name must contain it too
    // (react-admin's default aria-label "Profile" hides the visible name from speech users).
    <AppBar
      userMenu={
        <UserMenu label={user ? `${user.name}, account menu` : 'Account menu'}>
          <MenuItemLink to="/two-step" primaryText="Two-step sign-in" />
          <Logout />
        </UserMenu>
      }
    >
      <TitlePortal />
      {user && (
        <Box sx={{ textAlign: 'right', mr: 1, lineHeight: 1.2, display: { xs: 'none', sm: 'block' } }} aria-label="Signed in" role="group">
          <Typography component="p" variant="subtitle2" sx={{ fontWeight: 600 }}>
            {user.practiceName}
          </Typography>
          <Typography component="p" variant="caption">
            {user.name} · {labelFor(ROLE_LABELS, user.role)}
          </Typography>
        </Box>
      )}
    </AppBar>
  );
};
