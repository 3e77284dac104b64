import { useEffect, useRef, useState } from 'react';
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
import { HttpError, useDataProvider, useNotify, useRefresh } from 'react-admin';
import type { IssuedInvitation } from '@resetdesk/contracts';

import { maskEmail } from '../common/labels';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus, newUuid } from '../providers/http';
import type { PatientRecord } from '../providers/types';
import { IssuedInvitationPanel } from './IssuedInvitationPanel';
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
  const [issued, setIssued] = useState<IssuedInvitation | null>(null);
  // Same rule as the reset: one Idempotency-Key per submission, so a double click or a retry
  // after a lost answer sends one email, not two.
  const idempotencyKey = useRef(newUuid());

  useEffect(() => {
    if (open) {
      idempotencyKey.current = newUuid();
      setIssued(null);
    }
  }, [open]);

  const { mutate, isPending } = useMutation({
    mutationFn: () => dataProvider.resendInvitation(patient.id, { idempotencyKey: idempotencyKey.current }),
    onSuccess: (invitation) => {
      setIssued(invitation);
      refresh();
    },
    onError: (error) => {
      if (error instanceof HttpError) idempotencyKey.current = newUuid();
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
