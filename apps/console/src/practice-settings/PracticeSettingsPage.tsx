import { useEffect, useState } from 'react';
import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  CircularProgress,
  FormControlLabel,
  Switch,
  Typography,
} from '@mui/material';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Title, useDataProvider, useNotify } from 'react-admin';

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
  useEffect(() => {
    if (settings.data) setAllowSecurityQuestions(settings.data.allowSecurityQuestions);
  }, [settings.data]);

  const save = useMutation({
    mutationFn: () => dataProvider.updatePracticeSettings({ allowSecurityQuestions }),
    onSuccess: (saved) => {
      queryClient.setQueryData(QUERY_KEY, saved);
      notify('Practice settings saved', { type: 'success' });
    },
    onError: (error) => notify(errorMessage(error), { type: 'error' }),
  });

  if (settings.isPending) return <CircularProgress aria-label="Loading practice settings" sx={{ m: 4 }} />;
  if (settings.isError) return <Alert severity="error" sx={{ m: 2 }}>{errorMessage(settings.error)}</Alert>;
  const practice = settings.data;
  const changed = allowSecurityQuestions !== practice.allowSecurityQuestions;

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
              When on, patients choose a security question when they register, and can answer it to
              recover their account. When off, registration does not ask for one and recovery uses a
              code sent to the chart's phone. NIST SP 800-63B advises against security questions.
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
