import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Alert, Box, Button, CircularProgress, TextField, Typography } from '@mui/material';
import type { StaffUserView, TotpEnrolmentView } from '@resetdesk/contracts';

import { errorMessage } from '../providers/http';
import { mfaApi } from './mfaApi';

/**
 * "Set up two-step sign-in": the QR code for an authenticator app, the same secret as text, and
 * the first code that confirms it. Answers the recovery codes (and the session, when this was
 * the sign-in's enrolment step).
 */
export const TotpSetup = ({ onConfirmed }: { onConfirmed: (result: { recoveryCodes: string[]; user?: StaffUserView }) => void }) => {
  const [enrolment, setEnrolment] = useState<TotpEnrolmentView | null>(null);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    mfaApi.enrolTotp().then(setEnrolment, (err) => setError(errorMessage(err)));
  }, []);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onConfirmed(await mfaApi.confirmTotp(code.trim()));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <Box>
      <Typography variant="h5" component="h2" gutterBottom>
        Set up two-step sign-in
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
        Scan this QR code with an authenticator app (for example Google Authenticator, Microsoft Authenticator or 1Password), then enter the 6-digit code it
        shows.
      </Typography>
      {error && (
        <Alert severity="error" role="alert" sx={{ mb: 2 }}>
          {error}
        </Alert>
      )}
      {!enrolment && !error && <CircularProgress aria-label="Preparing the QR code" />}
      {enrolment && (
        <>
          <Box
            component="img"
            src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg)}`}
            alt="QR code for your authenticator app"
            sx={{ width: 200, height: 200, display: 'block', mb: 1 }}
          />
          <Typography variant="body2" sx={{ mb: 2 }}>
            Cannot scan? Enter this key in the app:{' '}
            <Box component="code" data-testid="totp-secret" sx={{ wordBreak: 'break-all', fontSize: '1rem' }}>
              {enrolment.secret}
            </Box>
          </Typography>
          <form onSubmit={submit} noValidate>
            <TextField
              id="totp-setup-code"
              label="Authentication code"
              value={code}
              onChange={(event) => setCode(event.target.value)}
              autoComplete="one-time-code"
              slotProps={{ htmlInput: { inputMode: 'numeric', maxLength: 6 } }}
              required
              fullWidth
              margin="normal"
              disabled={busy}
            />
            <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }} disabled={busy || code.trim().length !== 6}>
              Confirm
            </Button>
          </form>
        </>
      )}
    </Box>
  );
};
