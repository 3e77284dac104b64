import { Alert, Box, Typography } from '@mui/material';
import { useGetOne } from 'react-admin';
import type { IssuedInvitation, OutboxStatus } from '@resetdesk/contracts';

import { DateTimeText } from '../common/dates';
import { DetailList } from '../common/DetailList';
import { OutboxStatusChip } from '../common/StatusChip';
import type { PatientRecord } from '../providers/types';

const PENDING_STATUSES: Array<OutboxStatus | null | undefined> = ['queued', 'sending', null, undefined];
const POLL_MS = 2000;
const MAX_POLLS = 30;

const STATUS_SENTENCES: Record<OutboxStatus, string> = {
  queued: 'Waiting to send. This usually takes a few seconds.',
  sending: 'Sending now.',
  sent: 'Sent to the patient’s email address.',
  retrying: 'The first attempt failed. The system will try again automatically.',
  dead: 'The email could not be delivered. Check the address in the chart, then resend.',
};

/**
 * Delivery status of the registration email for a just-issued invitation: refetches the patient
 * (GET /api/patients/:id, `invitation.emailStatus`) every 2 s while the email is queued or sending.
 */
export const EmailDeliveryStatus = ({
  patientId,
  invitationId,
}: {
  patientId: string;
  invitationId: string;
}) => {
  const { data: patient } = useGetOne<PatientRecord>(
    'patients',
    { id: patientId },
    {
      refetchInterval: (query) => {
        const invitation = query.state.data?.invitation;
        const status = invitation?.id === invitationId ? invitation.emailStatus : undefined;
        return PENDING_STATUSES.includes(status) && query.state.dataUpdateCount < MAX_POLLS
          ? POLL_MS
          : false;
      },
    },
  );
  const invitation = patient?.invitation?.id === invitationId ? patient.invitation : null;
  const status = invitation?.emailStatus ?? null;
  return (
    <Box role="status" aria-live="polite" sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}>
      {status ? <OutboxStatusChip value={status} /> : null}
      <span>{status ? STATUS_SENTENCES[status] : 'Checking the email status…'}</span>
    </Box>
  );
};

/** Shows a newly issued registration PIN once, large, with the email's delivery status. */
export const IssuedInvitationPanel = ({
  patientId,
  invitation,
}: {
  patientId: string;
  invitation: IssuedInvitation;
}) => (
  <Box>
    <Box
      sx={{
        textAlign: 'center',
        my: 2,
        p: 2,
        border: 2,
        borderColor: 'primary.main',
        borderRadius: 2,
        bgcolor: 'grey.50',
      }}
    >
      <Typography component="h3" variant="subtitle1" sx={{ fontWeight: 600 }}>
        Registration PIN
      </Typography>
      <Typography
        component="p"
        sx={{
          fontSize: { xs: '2.75rem', sm: '3.5rem' },
          fontWeight: 700,
          letterSpacing: '0.3em',
          fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
          lineHeight: 1.2,
          userSelect: 'all',
        }}
      >
        {invitation.pin}
      </Typography>
    </Box>
    <Alert severity="warning" sx={{ mb: 2, fontWeight: 500 }}>
      Tell the patient this PIN. It will not be shown again.
    </Alert>
    <DetailList
      items={[
        ['Registration email to', invitation.sentTo],
        ['Email status', <EmailDeliveryStatus patientId={patientId} invitationId={invitation.id} />],
        ['Link expires', <DateTimeText value={invitation.expiresAt} />],
      ]}
    />
  </Box>
);
