import { useEffect, useState } from 'react';
import { Button, CircularProgress, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle } from '@mui/material';
import { useMutation } from '@tanstack/react-query';
import { useDataProvider, useNotify, useRefresh } from 'react-admin';
import type { IssuedInvitation } from '@resetdesk/contracts';

import { maskEmail } from '../common/labels';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus } from '../providers/http';
import type { PatientRecord } from '../providers/types';
import { IssuedInvitationPanel, emailStatusTitle, useInvitationEmailStatus } from './IssuedInvitationPanel';
import { useDeskActionSubmission } from './useDeskActionSubmission';
import { INVITATION_TTL_HOURS } from './ResetPortalDialog';

export const ResendInvitationDialog = ({ open, onClose, patient }: { open: boolean; onClose: () => void; patient: PatientRecord }) => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const submission = useDeskActionSubmission<IssuedInvitation>(open);
  const issued = submission.result;
  const emailStatus = useInvitationEmailStatus(String(patient.id), issued?.id);
  const [pinGiven, setPinGiven] = useState(false);
  useEffect(() => {
    if (open) setPinGiven(false);
  }, [open]);

  const { mutate, isPending } = useMutation({
    mutationFn: () => dataProvider.resendInvitation(patient.id, { idempotencyKey: submission.idempotencyKey() }),
    onSuccess: (invitation) => {
      submission.setResult(invitation);
      refresh();
    },
    onError: (error) => {
      submission.failed(error);
      if (errorStatus(error) !== 401) notify(errorMessage(error), { type: 'error' });
    },
  });

  // Once a PIN is on screen only Done closes the dialog (no Esc, no click outside).
  const close = () => {
    if (!isPending && !issued) onClose();
  };
  const titleId = 'resend-dialog-title';
  const hasInvitation = patient.invitation?.status === 'pending';

  return (
    <Dialog open={open} onClose={close} aria-labelledby={titleId} fullWidth maxWidth="sm" scroll="paper">
      <DialogTitle id={titleId}>{issued ? emailStatusTitle(emailStatus) : 'Resend registration email'}</DialogTitle>
      <DialogContent dividers>
        {issued ? (
          <IssuedInvitationPanel patientId={String(patient.id)} invitation={issued} pinGiven={pinGiven} onPinGivenChange={setPinGiven} />
        ) : (
          <>
            <DialogContentText gutterBottom>
              A new registration email goes to <strong>{maskEmail(patient.email)}</strong> with a new PIN. The link is valid for {INVITATION_TTL_HOURS} hours.
            </DialogContentText>
            <DialogContentText>{hasInvitation ? 'The registration link and PIN sent earlier stop working.' : 'The chart is not changed.'}</DialogContentText>
          </>
        )}
      </DialogContent>
      <DialogActions>
        {issued ? (
          <Button onClick={onClose} variant="contained" disabled={!pinGiven}>
            Done
          </Button>
        ) : (
          <>
            <Button onClick={close} disabled={isPending}>
              Cancel
            </Button>
            <Button
              onClick={() => mutate()}
              variant="contained"
              disabled={isPending}
              startIcon={isPending ? <CircularProgress size={18} color="inherit" aria-hidden /> : undefined}
            >
              Send email
            </Button>
          </>
        )}
      </DialogActions>
    </Dialog>
  );
};
