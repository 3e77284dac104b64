import { useState } from 'react';
import { Alert, Box, Button, Card, CardContent, CircularProgress, List, ListItem, ListItemText, TextField, Typography } from '@mui/material';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Title, useNotify } from 'react-admin';

import { errorMessage } from '../providers/http';
import { mfaApi } from './mfaApi';
import { RecoveryCodes } from './RecoveryCodes';
import { TotpSetup } from './TotpSetup';

const QUERY_KEY = ['two-step-status'];

/** Your own second factors: the authenticator app, passkeys and recovery codes. */
const TwoStepPage = () => {
  const notify = useNotify();
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: QUERY_KEY, queryFn: () => mfaApi.status() });
  const [settingUp, setSettingUp] = useState(false);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [passkeyName, setPasskeyName] = useState('');
  const [busy, setBusy] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: QUERY_KEY });

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    try {
      await work();
    } catch (error) {
      notify(errorMessage(error), { type: 'error' });
    } finally {
      setBusy(false);
      await refresh();
    }
  };

  if (status.isPending) return <CircularProgress aria-label="Loading two-step sign-in" sx={{ m: 4 }} />;
  if (status.isError)
    return (
      <Alert severity="error" sx={{ m: 2 }}>
        {errorMessage(status.error)}
      </Alert>
    );
  const s = status.data;

  return (
    <Box sx={{ mt: 2, maxWidth: 720 }}>
      <Title title="Two-step sign-in" />
      <Card>
        <CardContent>
          {codes ? (
            <RecoveryCodes codes={codes} doneLabel="Done" onDone={() => setCodes(null)} />
          ) : settingUp ? (
            <TotpSetup
              onConfirmed={(result) => {
                setSettingUp(false);
                setCodes(result.recoveryCodes);
                void refresh();
              }}
            />
          ) : (
            <>
              <Typography variant="h6" component="h2">
                Authenticator app
              </Typography>
              <Typography variant="body2" sx={{ mb: 1 }}>
                {s.totp ? 'An authenticator app is set up.' : 'No authenticator app is set up.'}
              </Typography>
              <Button variant="outlined" onClick={() => setSettingUp(true)}>
                {s.totp ? 'Replace authenticator app' : 'Set up two-step sign-in'}
              </Button>

              <Typography variant="h6" component="h2" sx={{ mt: 3 }}>
                Passkeys
              </Typography>
              <List aria-label="Your passkeys">
                {s.passkeys.map((passkey) => (
                  <ListItem
                    key={passkey.id}
                    secondaryAction={
                      <Button color="warning" disabled={busy} onClick={() => run(() => mfaApi.removePasskey(passkey.id))}>
                        Remove {passkey.name}
                      </Button>
                    }
                  >
                    <ListItemText primary={passkey.name} secondary={`Added ${new Date(passkey.createdAt).toLocaleDateString()}`} />
                  </ListItem>
                ))}
              </List>
              {s.passkeys.length === 0 && <Typography variant="body2">No passkeys yet.</Typography>}
              <Box sx={{ display: 'flex', gap: 2, alignItems: 'center', mt: 1 }}>
                <TextField id="passkey-name" label="Passkey name" size="small" value={passkeyName} onChange={(event) => setPasskeyName(event.target.value)} />
                <Button
                  variant="outlined"
                  disabled={busy}
                  onClick={() =>
                    run(async () => {
                      const added = await mfaApi.addPasskey(passkeyName.trim() || 'Passkey');
                      setPasskeyName('');
                      notify('Passkey added', { type: 'success' });
                      if (added.recoveryCodes) setCodes(added.recoveryCodes);
                    })
                  }
                >
                  Add a passkey
                </Button>
              </Box>

              <Typography variant="h6" component="h2" sx={{ mt: 3 }}>
                Recovery codes
              </Typography>
              <Typography variant="body2" sx={{ mb: 1 }}>
                {s.recoveryCodesLeft} unused recovery codes left.
              </Typography>
              <Button
                variant="outlined"
                disabled={busy || (!s.totp && s.passkeys.length === 0)}
                onClick={() => run(async () => setCodes((await mfaApi.newRecoveryCodes()).recoveryCodes))}
              >
                New recovery codes
              </Button>
            </>
          )}
        </CardContent>
      </Card>
    </Box>
  );
};

export default TwoStepPage;
