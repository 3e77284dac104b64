import { useState, type FormEvent } from 'react';
import { Alert, Box, Button, Link, TextField, Typography } from '@mui/material';
import type { MfaRequiredView, StaffUserView } from '@resetdesk/contracts';

import { errorMessage } from '../providers/http';
import { mfaApi } from './mfaApi';
import { RecoveryCodes } from './RecoveryCodes';
import { TotpSetup } from './TotpSetup';

type Mode = 'totp' | 'recovery_code';

/**
 * The sign-in's second step after a right password: a code from the authenticator app or a
 * recovery code, or, when the practice requires a factor the person does not have, setting
 * one up first. `onSignedIn` runs once the API has opened the session.
 */
export const SecondStep = ({
  pending,
  onSignedIn,
  onCancel,
}: {
  pending: MfaRequiredView;
  onSignedIn: (user: StaffUserView) => void;
  onCancel: () => void;
}) => {
  const [mode, setMode] = useState<Mode>(pending.methods.includes('totp') || !pending.methods.includes('recovery_code') ? 'totp' : 'recovery_code');
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [enrolled, setEnrolled] = useState<{ recoveryCodes: string[]; user?: StaffUserView } | null>(null);

  if (pending.enrolmentRequired) {
    if (enrolled) {
      return <RecoveryCodes codes={enrolled.recoveryCodes} doneLabel="Continue to ResetDesk" onDone={() => enrolled.user && onSignedIn(enrolled.user)} />;
    }
    return (
      <Box>
        <Alert severity="info" sx={{ mb: 2 }}>
          Your practice requires two-step sign-in. Set it up now to continue.
        </Alert>
        <TotpSetup onConfirmed={setEnrolled} />
        <Button onClick={onCancel} sx={{ mt: 1 }}>
          Cancel
        </Button>
      </Box>
    );
  }

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      onSignedIn(mode === 'totp' ? await mfaApi.totp(code.trim()) : await mfaApi.recoveryCode(code.trim()));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
      // Five wrong codes end the pending sign-in: back to the password.
      if (/Sign in again/.test(errorMessage(err))) setTimeout(onCancel, 0);
    }
  };

  const usePasskey = async () => {
    setError(null);
    setBusy(true);
    try {
      onSignedIn(await mfaApi.passkey());
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
      if (/Sign in again/.test(errorMessage(err))) setTimeout(onCancel, 0);
    }
  };

  const label = mode === 'totp' ? 'Authentication code' : 'Recovery code';
  return (
    <Box>
      <Typography variant="h5" component="h2" gutterBottom>
        Two-step sign-in
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        {mode === 'totp'
          ? 'Enter the 6-digit code from your authenticator app.'
          : 'Enter one of the recovery codes you saved when you set up two-step sign-in.'}
      </Typography>
      <form onSubmit={submit} noValidate aria-describedby={error ? 'second-step-error' : undefined}>
        {error && (
          <Alert severity="error" id="second-step-error" role="alert" sx={{ mb: 2 }}>
            {error}
          </Alert>
        )}
        <TextField
          id="second-step-code"
          key={mode}
          label={label}
          value={code}
          onChange={(event) => setCode(event.target.value)}
          autoComplete="one-time-code"
          slotProps={{ htmlInput: mode === 'totp' ? { inputMode: 'numeric', maxLength: 6 } : { maxLength: 20 } }}
          required
          fullWidth
          autoFocus
          margin="normal"
          disabled={busy}
        />
        <Button type="submit" variant="contained" size="large" fullWidth sx={{ mt: 2 }} disabled={busy || !code.trim()}>
          Verify
        </Button>
      </form>
      <Box sx={{ mt: 2, display: 'flex', flexDirection: 'column', gap: 1 }}>
        {pending.methods.includes('webauthn') && (
          <Button variant="outlined" disabled={busy} onClick={usePasskey}>
            Use a passkey
          </Button>
        )}
        {mode === 'totp' && pending.methods.includes('recovery_code') && (
          <Link
            component="button"
            type="button"
            onClick={() => {
              setMode('recovery_code');
              setCode('');
              setError(null);
            }}
          >
            Use a recovery code
          </Link>
        )}
        {mode === 'recovery_code' && pending.methods.includes('totp') && (
          <Link
            component="button"
            type="button"
            onClick={() => {
              setMode('totp');
              setCode('');
              setError(null);
            }}
          >
            Use your authenticator app
          </Link>
        )}
        <Link component="button" type="button" onClick={onCancel}>
          Sign in as someone else
        </Link>
      </Box>
    </Box>
  );
};
