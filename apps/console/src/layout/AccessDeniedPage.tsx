import { Alert, Box, Button, Typography } from '@mui/material';
import { Link, Title } from 'react-admin';

/** Shown when someone opens a screen their role does not allow (e.g. a desk user on /audit-events). */
export const AccessDeniedPage = () => (
  <Box component="section" sx={{ mt: 2, maxWidth: 720 }}>
    <Title title="Access denied" />
    <Alert severity="warning" role="alert" sx={{ mb: 2 }}>
      <Typography variant="h6" component="h1" gutterBottom>
        Access denied: this page is for practice admins only
      </Typography>
      <Typography>
        The audit log, emails and staff screens can only be opened by a practice admin. If you need something from them, ask your practice admin.
      </Typography>
    </Alert>
    <Button component={Link} to="/patients" variant="contained">
      Go to Patients
    </Button>
  </Box>
);

export default AccessDeniedPage;
