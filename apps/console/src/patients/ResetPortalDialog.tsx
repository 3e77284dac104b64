import { useEffect, useState } from 'react';
import { Alert, Box, Button, CircularProgress, Dialog, DialogActions, DialogContent, DialogTitle, Typography } from '@mui/material';
import { useMutation } from '@tanstack/react-query';
import { Form, HttpError, SelectInput, TextInput, useDataProvider, useNotify, useRefresh } from 'react-admin';
import { useWatch, type FieldValues } from 'react-hook-form';
import type { PortalResetResult } from '@resetdesk/contracts';

import { useTimeZone } from '../common/dates';
import { IDENTITY_VERIFICATION_CHOICES, RESET_REASON_CHOICES, maskEmail } from '../common/labels';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus } from '../providers/http';
import type { PatientRecord, ResetPortalAccountInput } from '../providers/types';
import { IssuedInvitationPanel } from './IssuedInvitationPanel';
import { useDeskActionSubmission } from './useDeskActionSubmission';

/** Registration link lifetime the API uses by default (INVITATION_TTL_HOURS). */
export const INVITATION_TTL_HOURS = 72;

const EMPTY_RECORD = { reason: '', identityVerification: '', note: '' };

const needsNote = (values: FieldValues) => values.reason === 'other' || values.identityVerification === 'other';

const validateReset = (values: FieldValues) => {
  const errors: Record<string, string> = {};
  if (!values.reason) errors.reason = 'Choose the reason for the reset.';
  if (!values.identityVerification) errors.identityVerification = 'Choose how you checked who the patient is.';
  if (needsNote(values) && !String(values.note ?? '').trim()) {
    errors.note = 'Add a note: it is required when you choose Other.';
  }
  return errors;
};

const NoteInput = () => {
  const [reason, identityVerification] = useWatch({ name: ['reason', 'identityVerification'] });
  const required = needsNote({ reason, identityVerification });
  return (
    <TextInput
      source="note"
      label="Note"
      multiline
      minRows={2}
      fullWidth
      isRequired={required}
      helperText={required ? 'Required because you chose Other.' : 'Optional. Required when you choose Other.'}
    />
  );
};

/** What the reset will do, stated plainly before the confirm button. */
const ResetConsequences = ({ patient }: { patient: PatientRecord }) => {
  const username = patient.portalAccount?.username ?? patient.portalUsername;
  return (
    <Box component="section" aria-labelledby="reset-consequences" sx={{ mt: 2 }}>
      <Typography id="reset-consequences" component="h3" variant="subtitle1" sx={{ fontWeight: 600 }}>
        When you reset this account:
      </Typography>
      <Box component="ul" sx={{ pl: 3, my: 1, '& li': { mb: 0.5 } }}>
        <li>The chart is not changed.</li>
        <li>
          {username ? (
            <>
              The old username <strong>{username}</strong> is retired and cannot be used again.
            </>
          ) : (
            <>There is no current portal username to retire.</>
          )}
        </li>
        <li>All portal sign-ins end.</li>
        <li>
          A registration email goes to <strong>{maskEmail(patient.email)}</strong>.
        </li>
        <li>The link is valid for {INVITATION_TTL_HOURS} hours.</li>
      </Box>
    </Box>
  );
};

/** The day of a contact change in the practice's zone: a reset soon after one is the classic takeover pattern. */
const ChangeDate = ({ value }: { value: string }) => {
  const timeZone = useTimeZone();
  return <time dateTime={value}>{new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone }).format(new Date(value))}</time>;
};

export const ResetPortalDialog = ({ open, onClose, patient }: { open: boolean; onClose: () => void; patient: PatientRecord }) => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const submission = useDeskActionSubmission<PortalResetResult>(open);
  const result = submission.result;
  const [pinGiven, setPinGiven] = useState(false);
  useEffect(() => {
    if (open) setPinGiven(false);
  }, [open]);

  const { mutateAsync, isPending } = useMutation({
    mutationFn: (input: ResetPortalAccountInput) => dataProvider.resetPortalAccount(patient.id, input, { idempotencyKey: submission.idempotencyKey() }),
  });

  const handleSubmit = async (values: FieldValues) => {
    try {
      const response = await mutateAsync({
        reason: values.reason,
        identityVerification: values.identityVerification,
        note: values.note,
      });
      submission.setResult(response);
      refresh();
      return undefined;
    } catch (error) {
      submission.failed(error);
      if (error instanceof HttpError) {
        const fieldErrors = (error.body as { errors?: Record<string, unknown> } | undefined)?.errors;
        if (fieldErrors) return fieldErrors; // shown on the fields; the message is notified
      }
      if (errorStatus(error) !== 401) notify(errorMessage(error), { type: 'error' });
      return undefined;
    }
  };

  // Once a PIN is on screen only Done closes the dialog (no Esc, no click outside).
  const close = () => {
    if (!isPending && !result) onClose();
  };

  const titleId = 'reset-dialog-title';
  return (
    <Dialog open={open} onClose={close} aria-labelledby={titleId} fullWidth maxWidth="sm" scroll="paper">
      {result ? (
        <>
          <DialogTitle id={titleId}>Portal account reset</DialogTitle>
          <DialogContent dividers>
            <Alert severity="success" sx={{ mb: 1 }}>
              The portal account was reset.
              {result.retiredUsername ? ` The username ${result.retiredUsername} is retired.` : ''}{' '}
              {result.chartChecksumBefore === result.chartChecksumAfter ? 'The chart was checked and is unchanged.' : ''}
            </Alert>
            <IssuedInvitationPanel patientId={String(patient.id)} invitation={result.invitation} pinGiven={pinGiven} onPinGivenChange={setPinGiven} />
          </DialogContent>
          <DialogActions>
            <Button onClick={onClose} variant="contained" disabled={!pinGiven}>
              Done
            </Button>
          </DialogActions>
        </>
      ) : (
        <Form record={EMPTY_RECORD} onSubmit={handleSubmit} validate={validateReset} noValidate>
          <DialogTitle id={titleId}>
            Reset portal account for {patient.firstName} {patient.lastName}
          </DialogTitle>
          <DialogContent dividers>
            <SelectInput source="reason" label="Reason" choices={RESET_REASON_CHOICES} fullWidth isRequired emptyText="Choose a reason" helperText={false} />
            <SelectInput
              source="identityVerification"
              label="Identity verified by"
              choices={IDENTITY_VERIFICATION_CHOICES}
              fullWidth
              isRequired
              emptyText="Choose how you checked"
              helperText={false}
            />
            {patient.contactChangedRecently && patient.contactChangedAt && (
              <Alert severity="warning" sx={{ mt: 2 }}>
                The email or phone on this chart changed on <ChangeDate value={patient.contactChangedAt} />.
              </Alert>
            )}
            <NoteInput />
            <ResetConsequences patient={patient} />
          </DialogContent>
          <DialogActions>
            <Button onClick={close} disabled={isPending}>
              Cancel
            </Button>
            <Button
              type="submit"
              variant="contained"
              color="error"
              disabled={isPending}
              startIcon={isPending ? <CircularProgress size={18} color="inherit" aria-hidden /> : undefined}
            >
              Reset account
            </Button>
          </DialogActions>
        </Form>
      )}
    </Dialog>
  );
};
