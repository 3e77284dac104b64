import { useState } from 'react';
import { Alert, Box, Button, Typography } from '@mui/material';
import { BooleanInput, Create, SimpleForm, useRedirect, type RaRecord } from 'react-admin';

import { PortalAppFields } from './PortalAppFields';
import { toPortalAppBody } from './uris';

/** The client secret is answered once, at creation: shown here until the admin moves on, never again. */
const CreatedApp = ({ app }: { app: RaRecord }) => {
  const redirect = useRedirect();
  return (
    <Box sx={{ p: 2, maxWidth: 720 }}>
      <Typography variant="h5" component="h1" gutterBottom>
        Portal app added
      </Typography>
      <Typography>
        <strong>Client ID:</strong> <code>{app.clientId}</code>
      </Typography>
      {app.clientSecret ? (
        <Alert severity="warning" sx={{ my: 2 }}>
          <Typography>
            <strong>Client secret:</strong> <code data-testid="client-secret">{app.clientSecret}</code>
          </Typography>
          <Typography variant="body2">Copy it into the app's settings now: it is shown only once and ResetDesk keeps only its hash.</Typography>
        </Alert>
      ) : (
        <Alert severity="info" sx={{ my: 2 }}>
          A public app has no secret: it signs in with PKCE only.
        </Alert>
      )}
      <Button variant="contained" onClick={() => redirect('list', 'portal-apps')}>
        Done
      </Button>
    </Box>
  );
};

export const PortalAppCreate = () => {
  const [created, setCreated] = useState<RaRecord | null>(null);
  if (created) return <CreatedApp app={created} />;
  return (
    <Create
      title="Add portal app"
      transform={(data: RaRecord) => toPortalAppBody(data, true)}
      mutationOptions={{ onSuccess: (data: RaRecord) => setCreated(data) }}
    >
      <SimpleForm defaultValues={{ confidential: true, redirectUris: [], postLogoutRedirectUris: [] }}>
        <PortalAppFields />
        <BooleanInput source="confidential" label="Confidential (a server-side app that can keep a secret)" />
      </SimpleForm>
    </Create>
  );
};

export default PortalAppCreate;
