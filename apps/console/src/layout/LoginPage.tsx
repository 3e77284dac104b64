import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Alert, Box, Button, Card, CardContent, CircularProgress, TextField, Typography } from '@mui/material';
import { useLogin } from 'react-admin';

import type { MfaRequiredView, StaffUserView } from '@resetdesk/contracts';

import { takeSessionExpiredFlag } from '../providers/authProvider';
import { SESSION_EXPIRED_MESSAGE, errorMessage } from '../providers/http';
import { isMfaRequired, mfaApi } from '../two-step/mfaApi';
import { SecondStep } from '../two-step/SecondStep';

/** Staff sign-in: fields "Email" and "Password", button "Sign in". */
export const LoginPage = () => {
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const [expired, setExpired] = useState(false);
  const [pending, setPending] = useState<MfaRequiredView | null>(null);
  const checked = useRef(false);

  useEffect(() => {
    document.title = 'Sign in · ResetDesk';
    // A page load that found the session gone (idle timeout) says so on the page, not in a
    // toast that vanishes: someone coming back to the desk must see why they were signed out.
    if (!checked.current) {
      checked.current = true;
      if (takeSessionExpiredFlag()) setExpired(true);
    }
  }, []);

  const handleSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    setSubmitting(true);
    try {
      const answer = await mfaApi.login(email.trim(), password);
      if (isMfaRequired(answer)) {
        setPassword('');
        setPending(answer);
        setSubmitting(false);
        return;
      }
      await login({ user: answer });
    } catch (err) {
      setError(errorMessage(err));
      setSubmitting(false);
    }
  };

  const signedIn = (user: StaffUserView) => {
    login({ user }).catch((err: unknown) => setError(errorMessage(err)));
  };
  const cancelSecondStep = () => {
    mfaApi.cancel().catch(() => undefined);
    setPending(null);
  };

  return (
    <Box
      component="main"
      sx={{
        minHeight: '100vh',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        bgcolor: 'grey.100',
        p: 2,
      }}
    >
      <Card sx={{ width: '100%', maxWidth: 420 }} elevation={2}>
        <CardContent sx={{ p: { xs: 3, sm: 4 } }}>
          <Typography variant="h4" component="h1" gutterBottom>
            ResetDesk
          </Typography>
          {pending ? (
            <SecondStep pending={pending} onSignedIn={signedIn} onCancel={cancelSecondStep} />
          ) : (
            <>
              <Typography variant="body1" color="text.secondary" sx={{ mb: 3 }}>
                Sign in with your practice staff account.
              </Typography>
              <form onSubmit={handleSubmit} noValidate aria-describedby={error ? 'login-error' : undefined}>
                {error && (
                  <Alert severity="error" id="login-error" role="alert" sx={{ mb: 2 }}>
                    {error}
                  </Alert>
                )}
                {expired && !error && (
                  <Alert severity="warning" role="status" sx={{ mb: 2 }}>
                    {SESSION_EXPIRED_MESSAGE}
                  </Alert>
                )}
                <TextField
                  id="login-email"
                  label="Email"
                  type="email"
                  name="email"
                  autoComplete="username"
                  value={email}
                  onChange={(event) => setEmail(event.target.value)}
                  required
                  fullWidth
                  autoFocus
                  margin="normal"
                  disabled={submitting}
                />
                <TextField
                  id="login-password"
                  label="Password"
                  type="password"
                  name="password"
                  autoComplete="current-password"
                  value={password}
                  onChange={(event) => setPassword(event.target.value)}
                  required
                  fullWidth
                  margin="normal"
                  disabled={submitting}
                />
                <Button
                  type="submit"
                  variant="contained"
                  size="large"
                  fullWidth
                  disabled={submitting || !email || !password}
                  sx={{ mt: 3 }}
                  startIcon={submitting ? <CircularProgress size={18} color="inherit" aria-hidden /> : undefined}
                >
                  Sign in
                </Button>
              </form>
            </>
          )}
        </CardContent>
      </Card>
    </Box>
  );
};

export default LoginPage;
