import { useState } from 'react';
import { Alert, Box, Button, Checkbox, FormControlLabel, GlobalStyles, Typography } from '@mui/material';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import PrintIcon from '@mui/icons-material/Print';
import { useGetOne } from 'react-admin';
import type { IssuedInvitation, OutboxStatus } from '@resetdesk/contracts';

import { DateTimeText, formatDateTime, useTimeZone } from '../common/dates';
import { DetailList } from '../common/DetailList';
import { OutboxStatusChip } from '../common/StatusChip';
import { usePractice } from '../common/usePractice';
import { useStaffUser } from '../common/useStaffUser';
import type { PatientRecord } from '../providers/types';

const PENDING_STATUSES: Array<OutboxStatus | null | undefined> = ['queued', 'sending', null, undefined];
const POLL_MS = 2000;
const MAX_POLLS = 30;

const STATUS_SENTENCES: Record<string, string> = {
  queued: 'Waiting to send. This usually takes a few seconds.',
  sending: 'Sending now.',
  sent: 'Sent to the patient’s email address.',
  retrying: 'The first attempt failed. The system will try again automatically.',
  dead: 'The email could not be delivered. Check the address in the chart, then resend.',
  cancelled: 'Not sent: a newer registration email replaced it.',
};

/** The dialog's title says what really happened to the email, never more. */
const STATUS_TITLES: Record<string, string> = {
  queued: 'Sending the registration email',
  sending: 'Sending the registration email',
  sent: 'Registration email sent',
  retrying: 'Registration email not sent yet',
  dead: 'Registration email not delivered',
  cancelled: 'Registration email cancelled',
};

export const emailStatusTitle = (status: OutboxStatus | null | undefined): string => (status && STATUS_TITLES[status]) || 'Sending the registration email';

/**
 * Delivery status of the registration email for a just-issued invitation: refetches the patient
 * (GET /api/patients/:id, `invitation.emailStatus`) every 2 s while the email is queued or sending.
 * The dialog title and the status line share this one query.
 */
export function useInvitationEmailStatus(patientId: string, invitationId: string | undefined): OutboxStatus | null {
  const { data: patient } = useGetOne<PatientRecord>(
    'patients',
    { id: patientId },
    {
      enabled: !!invitationId,
      refetchInterval: (query) => {
        const invitation = query.state.data?.invitation;
        const status = invitation && invitation.id === invitationId ? invitation.emailStatus : undefined;
        return PENDING_STATUSES.includes(status) && query.state.dataUpdateCount < MAX_POLLS ? POLL_MS : false;
      },
    },
  );
  const invitation = invitationId && patient?.invitation?.id === invitationId ? patient.invitation : null;
  return invitation?.emailStatus ?? null;
}

export const EmailDeliveryStatus = ({ patientId, invitationId }: { patientId: string; invitationId: string }) => {
  const status = useInvitationEmailStatus(patientId, invitationId);
  return (
    <Box role="status" aria-live="polite" sx={{ display: 'flex', gap: 1, alignItems: 'center', flexWrap: 'wrap' }}>
      {status ? <OutboxStatusChip value={status} /> : null}
      <span>{status ? (STATUS_SENTENCES[status] ?? status) : 'Checking the email status…'}</span>
    </Box>
  );
};

const HANDOUT_CLASS = 'rd-pin-handout';

/** Printing shows the handout alone: nothing else on screen (no other patient's data) goes to paper. */
const handoutPrintStyles = (
  <GlobalStyles
    styles={{
      [`.${HANDOUT_CLASS}`]: { display: 'none' },
      '@media print': {
        'body *': { visibility: 'hidden' },
        [`.${HANDOUT_CLASS}, .${HANDOUT_CLASS} *`]: { visibility: 'visible' },
        [`.${HANDOUT_CLASS}`]: { display: 'block', position: 'fixed', inset: 0, padding: '2rem', background: '#fff', color: '#000' },
      },
    }}
  />
);

/**
 * The paper the desk hands over: which practice, what to do, the PIN and until when the link
 * works. Never the link itself, which only ever travels to the chart's email address.
 */
const PinHandout = ({ invitation }: { invitation: IssuedInvitation }) => {
  const practice = usePractice();
  const { user } = useStaffUser();
  const timeZone = useTimeZone();
  const practiceName = practice?.name ?? user?.practiceName ?? 'Your doctor’s office';
  return (
    <Box className={HANDOUT_CLASS} data-testid="pin-handout">
      <Typography component="h2" variant="h5" sx={{ fontWeight: 700 }}>
        {practiceName}: set up your patient portal account
      </Typography>
      <ol>
        <li>Open the registration email from {practiceName} (check the spam folder too).</li>
        <li>Select the link in the email.</li>
        <li>Enter your date of birth and this PIN, then choose a username and password.</li>
      </ol>
      <Typography component="p" sx={{ fontSize: '1.25rem' }}>
        Your PIN:{' '}
        <strong style={{ fontSize: '2rem', letterSpacing: '0.2em' }}>
          {/* In two groups of three: easier to read off paper. */}
          {`${invitation.pin.slice(0, 3)} ${invitation.pin.slice(3)}`}
        </strong>
      </Typography>
      <Typography component="p">The link in the email works until {formatDateTime(invitation.expiresAt, timeZone)}.</Typography>
      <Typography component="p">Keep this PIN private.{practice?.phone ? ` Questions? Call ${practiceName} at ${practice.phone}.` : ''}</Typography>
    </Box>
  );
};

/**
 * Shows a newly issued registration PIN once, large, with the email's delivery status, Copy and
 * a printable handout. The dialog closes only after staff tick that the patient has the PIN: an
 * Esc or a click outside must not throw a one-time PIN away.
 */
export const IssuedInvitationPanel = ({
  patientId,
  invitation,
  pinGiven,
  onPinGivenChange,
}: {
  patientId: string;
  invitation: IssuedInvitation;
  pinGiven: boolean;
  onPinGivenChange: (given: boolean) => void;
}) => {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(invitation.pin);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <Box>
      {handoutPrintStyles}
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
          data-testid="issued-pin"
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
        <Box sx={{ display: 'flex', gap: 1, justifyContent: 'center', flexWrap: 'wrap' }}>
          <Button size="small" variant="outlined" startIcon={<ContentCopyIcon />} onClick={copy}>
            Copy PIN
          </Button>
          <Button size="small" variant="outlined" startIcon={<PrintIcon />} onClick={() => window.print()}>
            Print handout
          </Button>
        </Box>
        <Typography variant="body2" role="status" sx={{ minHeight: '1.5em', mt: 0.5 }}>
          {copied === 'yes' ? 'PIN copied.' : copied === 'failed' ? 'Could not copy: select the PIN and copy it.' : ''}
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
      <FormControlLabel
        sx={{ mt: 1 }}
        control={<Checkbox checked={pinGiven} onChange={(event) => onPinGivenChange(event.target.checked)} />}
        label="I've given the patient the PIN"
      />
      <PinHandout invitation={invitation} />
    </Box>
  );
};
