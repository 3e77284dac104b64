import { useState } from 'react';
import { Box, Button, Typography } from '@mui/material';
import LockOpenIcon from '@mui/icons-material/LockOpen';
import LockResetIcon from '@mui/icons-material/LockReset';
import ForwardToInboxIcon from '@mui/icons-material/ForwardToInbox';
import { useMutation } from '@tanstack/react-query';
import { Confirm, useDataProvider, useNotify, useRecordContext, useRefresh } from 'react-admin';

import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage, errorStatus } from '../providers/http';
import type { PatientRecord } from '../providers/types';
import { ResendInvitationDialog } from './ResendInvitationDialog';
import { ResetPortalDialog } from './ResetPortalDialog';

export const NO_EMAIL_MESSAGE = 'The chart has no email address. Add one in the chart before resetting.';

export const INACTIVE_CHART_MESSAGE = 'This chart is inactive in the EHR; portal access cannot be reset.';

/** Why each portal action is unavailable for this patient (null when it applies). */
export function portalActionBlockers(patient: PatientRecord) {
  const noEmail = !patient.email;
  const inactive = patient.active === false;
  return {
    reset: inactive ? INACTIVE_CHART_MESSAGE : noEmail ? NO_EMAIL_MESSAGE : null,
    resend: inactive
      ? INACTIVE_CHART_MESSAGE
      : noEmail
        ? NO_EMAIL_MESSAGE
        : patient.portalStatus === 'active'
          ? 'The patient already has an active portal account, so there is no registration email to resend. Use Reset portal account if they cannot sign in.'
          : patient.portalStatus === 'locked'
            ? 'The account is locked, so there is no registration email to resend. Use Unlock account, or Reset portal account if the patient cannot sign in.'
            : null,
    unlock: patient.portalStatus === 'locked' ? null : 'Unlock is only for a locked portal account. This account is not locked.',
  };
}

/** "Reset portal account", "Resend registration email" and "Unlock account" for a patient. */
export const PortalActions = () => {
  const patient = useRecordContext<PatientRecord>();
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const notify = useNotify();
  const refresh = useRefresh();
  const [dialog, setDialog] = useState<'reset' | 'resend' | 'unlock' | null>(null);

  const unlock = useMutation({
    mutationFn: (id: PatientRecord['id']) => dataProvider.unlockPortalAccount(id),
    onSuccess: () => {
      setDialog(null);
      notify('The portal account is unlocked. The patient can sign in again.', { type: 'success' });
      refresh();
    },
    onError: (error) => {
      setDialog(null);
      if (errorStatus(error) !== 401) notify(errorMessage(error), { type: 'error' });
    },
  });

  if (!patient) return null;
  const blockers = portalActionBlockers(patient);
  const reasons = Array.from(new Set(Object.values(blockers).filter((text): text is string => !!text)));
  if (patient.portalStatus === 'link_locked') {
    reasons.unshift('The registration link was locked after five wrong tries. Send a new registration email: it comes with a new link and PIN.');
  }

  return (
    <Box component="section" aria-label="Portal actions" sx={{ my: 1 }}>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, justifyContent: { sm: 'flex-end' } }}>
        <Button
          variant="contained"
          color="error"
          startIcon={<LockResetIcon />}
          disabled={!!blockers.reset}
          aria-describedby={blockers.reset ? 'portal-action-reasons' : undefined}
          onClick={() => setDialog('reset')}
        >
          Reset portal account
        </Button>
        <Button
          variant="outlined"
          startIcon={<ForwardToInboxIcon />}
          disabled={!!blockers.resend}
          aria-describedby={blockers.resend ? 'portal-action-reasons' : undefined}
          onClick={() => setDialog('resend')}
        >
          Resend registration email
        </Button>
        <Button
          variant="outlined"
          startIcon={<LockOpenIcon />}
          disabled={!!blockers.unlock}
          aria-describedby={blockers.unlock ? 'portal-action-reasons' : undefined}
          onClick={() => setDialog('unlock')}
        >
          Unlock account
        </Button>
      </Box>
      {reasons.length > 0 && (
        <Box id="portal-action-reasons" sx={{ mt: 1, textAlign: { sm: 'right' } }}>
          {reasons.map((text) => (
            <Typography key={text} variant="body2" color="text.secondary">
              {text}
            </Typography>
          ))}
        </Box>
      )}
      <ResetPortalDialog open={dialog === 'reset'} onClose={() => setDialog(null)} patient={patient} />
      <ResendInvitationDialog open={dialog === 'resend'} onClose={() => setDialog(null)} patient={patient} />
      <Confirm
        isOpen={dialog === 'unlock'}
        loading={unlock.isPending}
        title="Unlock this portal account?"
        content={`${patient.firstName} ${patient.lastName} will be able to sign in again with their current username${
          patient.portalAccount?.username ? ` (${patient.portalAccount.username})` : ''
        } and password. The chart is not changed.`}
        confirm="Unlock"
        cancel="Cancel"
        onConfirm={() => unlock.mutate(patient.id)}
        onClose={() => setDialog(null)}
      />
    </Box>
  );
};
