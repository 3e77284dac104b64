import { useState } from 'react';
import { Box, Button, Typography } from '@mui/material';
import LogoutIcon from '@mui/icons-material/Logout';
import { useMutation } from '@tanstack/react-query';
import { Confirm, useDataProvider, useNotify, useRefresh } from 'react-admin';

import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus } from '../providers/http';
import type { PatientRecord } from '../providers/types';

/** "End portal sessions": signs the patient out of /login and every portal app (they can sign in again). */
export const EndPortalSessionsButton = ({ patient }: { patient: PatientRecord }) => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const end = useMutation({
    mutationFn: () => dataProvider.endPortalSessions(patient.id),
    onSuccess: () => {
      setOpen(false);
      notify('The patient is signed out of the portal and every portal app.', { type: 'success' });
      refresh();
    },
    onError: (error) => {
      setOpen(false);
      if (errorStatus(error) !== 401) notify(errorMessage(error), { type: 'error' });
    },
  });
  return (
    <Box sx={{ mt: 1 }}>
      <Button variant="outlined" startIcon={<LogoutIcon />} onClick={() => setOpen(true)}>
        End portal sessions
      </Button>
      <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }}>
        Signs the patient out everywhere (this portal and every portal app). The account, username and password stay as they are.
      </Typography>
      <Confirm
        isOpen={open}
        loading={end.isPending}
        title="End every portal session of this patient?"
        content={`${patient.firstName} ${patient.lastName} will be signed out of the patient portal and every portal app, and will need to sign in again.`}
        confirm="End portal sessions"
        cancel="Cancel"
        onConfirm={() => end.mutate()}
        onClose={() => setOpen(false)}
      />
    </Box>
  );
};
