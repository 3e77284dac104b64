import {
  Button,
  CircularProgress,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
} from '@mui/material';
import { useMutation } from '@tanstack/react-query';
import { useDataProvider, useNotify, useRefresh } from 'react-admin';
import type { IssuedInvitation } from '@resetdesk/contracts';

import { maskEmail } from '../common/labels';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus } from '../providers/http';
import type { PatientRecord } from '../providers/types';
import { IssuedInvitationPanel } from './IssuedInvitationPanel';
import { useDeskActionSubmission } from './useDeskActionSubmission';
import { INVITATION_TTL_HOURS } from './ResetPortalDialog';

export const ResendInvitationDialog = ({
  open,
  onClose,
  patient,
}: {
  open: boolean;
  onClose: () => void;
  patient: PatientRecord;
}) => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const submission = useDeskActionSubmission<IssuedInvitation>(open);
  const issued = submission.result;

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

  const close = () => {
    if (!isPending) onClose();
  };
  const titleId = 'resend-dialog-title';
  const hasInvitation = patient.invitation?.status === 'pending';

  return (
    <Dialog open={open} onClose={close} aria-labelledby={titleId} fullWidth maxWidth="sm" scroll="paper">
      <DialogTitle id={titleId}>
        {issued ? 'Registration email sent' : 'Resend registration email'}
      </DialogTitle>
      <DialogContent dividers>
        {issued ? (
          <IssuedInvitationPanel patientId={patient.id} invitation={issued} />
        ) : (
          <>
            <DialogContentText gutterBottom>
              A new registration email goes to <strong>{maskEmail(patient.email)}</strong> with a
              new PIN. The link is valid for {INVITATION_TTL_HOURS} hours.
            </DialogContentText>
            <DialogContentText>
              {hasInvitation
                ? 'The registration link and PIN sent earlier stop working.'
                : 'The chart is not changed.'}
            </DialogContentText>
          </>
        )}
      </DialogContent>
      <DialogActions>
        {issued ? (
          <Button onClick={onClose} variant="contained" autoFocus>
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
