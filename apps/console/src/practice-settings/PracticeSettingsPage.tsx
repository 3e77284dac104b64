import { useEffect, useState } from 'react';
import { Alert, Box, Button, Card, CardContent, CircularProgress, FormControlLabel, Switch, TextField, Typography } from '@mui/material';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Title, useDataProvider, useNotify } from 'react-admin';

import type { StaffMfaSetting } from '@resetdesk/contracts';

import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage } from '../providers/http';

const QUERY_KEY = ['practice-settings'];

/** The practice's own settings: who it is (read-only here) and whether security questions are used. */
const PracticeSettingsPage = () => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const queryClient = useQueryClient();
  const settings = useQuery({ queryKey: QUERY_KEY, queryFn: () => dataProvider.getPracticeSettings() });
  const [allowSecurityQuestions, setAllowSecurityQuestions] = useState(false);
  const [staffMfa, setStaffMfa] = useState<StaffMfaSetting>('required');
  const [phone, setPhone] = useState('');
  useEffect(() => {
    if (settings.data) {
      setAllowSecurityQuestions(settings.data.allowSecurityQuestions);
      setStaffMfa(settings.data.staffMfa);
      setPhone(settings.data.phone ?? '');
    }
  }, [settings.data]);

  const save = useMutation({
    mutationFn: () => dataProvider.updatePracticeSettings({ allowSecurityQuestions, staffMfa, phone: phone.trim() }),
    onSuccess: (saved) => {
      queryClient.setQueryData(QUERY_KEY, saved);
      notify('Practice settings saved', { type: 'success' });
    },
    onError: (error) => notify(errorMessage(error), { type: 'error' }),
  });

  if (settings.isPending) return <CircularProgress aria-label="Loading practice settings" sx={{ m: 4 }} />;
  if (settings.isError)
    return (
      <Alert severity="error" sx={{ m: 2 }}>
        {errorMessage(settings.error)}
      </Alert>
    );
  const practice = settings.data;
  const changed = allowSecurityQuestions !== practice.allowSecurityQuestions || staffMfa !== practice.staffMfa || phone.trim() !== (practice.phone ?? '');

  return (
    <Box sx={{ mt: 2, maxWidth: 720 }}>
      <Title title="Practice settings" />
      <Card>
        <CardContent>
          <Typography variant="h6" component="h2">
            {practice.name}
          </Typography>
          <Typography variant="body2" color="text.secondary" gutterBottom>
            {practice.phone} · {practice.timeZone}
          </Typography>
          <Box
            component="form"
            sx={{ mt: 2 }}
            onSubmit={(event) => {
              event.preventDefault();
              save.mutate();
            }}
          >
            <TextField
              id="practice-phone"
              label="Practice phone"
              type="tel"
              value={phone}
              onChange={(event) => setPhone(event.target.value)}
              sx={{ minWidth: 280, mb: 1, display: 'block' }}
              slotProps={{ htmlInput: { 'aria-describedby': 'practice-phone-help' } }}
            />
            <Typography variant="body2" color="text.secondary" id="practice-phone-help" sx={{ mb: 2 }}>
              The number patients call for help with their portal account; security notices name it.
            </Typography>
            <FormControlLabel
              control={
                <Switch
                  checked={allowSecurityQuestions}
                  onChange={(event) => setAllowSecurityQuestions(event.target.checked)}
                  slotProps={{ input: { 'aria-describedby': 'security-questions-help' } }}
                />
              }
              label="Allow security questions"
            />
            <Typography variant="body2" color="text.secondary" id="security-questions-help" sx={{ mb: 2 }}>
              When on, patients choose a security question when they register, and can answer it to recover their account. When off, registration does not ask
              for one and recovery uses a code sent to the chart's phone. NIST SP 800-63B advises against security questions.
            </Typography>
            <TextField
              select
              id="staff-mfa"
              label="Two-step sign-in for staff"
              value={staffMfa}
              onChange={(event) => setStaffMfa(event.target.value as StaffMfaSetting)}
              sx={{ minWidth: 280, mb: 1 }}
              slotProps={{ select: { native: true }, htmlInput: { 'aria-describedby': 'staff-mfa-help' } }}
            >
              <option value="required">Required for everyone</option>
              <option value="optional">Optional</option>
            </TextField>
            <Typography variant="body2" color="text.secondary" id="staff-mfa-help" sx={{ mb: 2 }}>
              Staff can open every chart of the practice, so a password alone is not enough. When required, everyone signs in with an authenticator app code or
              a passkey after their password, and sets one up at their next sign-in. When optional, only those who set one up are asked for it.
            </Typography>
            <Button type="submit" variant="contained" disabled={!changed || save.isPending}>
              Save
            </Button>
          </Box>
        </CardContent>
      </Card>
    </Box>
  );
};

export default PracticeSettingsPage;
