import type { ReactNode } from 'react';
import { Alert, Box, CircularProgress, Link as MuiLink, Typography } from '@mui/material';
import { useQuery } from '@tanstack/react-query';
import { Link, useDataProvider, useRecordContext } from 'react-admin';
import type { AuditEventView } from '@resetdesk/contracts';

import { DateTimeText } from '../common/dates';
import { DetailList, SectionTitle } from '../common/DetailList';
import { AUDIT_ACTION_LABELS, IDENTITY_VERIFICATION_LABELS, LOCK_REASON_LABELS, labelFor, reasonLabel } from '../common/labels';
import { EndPortalSessionsButton } from './EndPortalSessionsButton';
import { AccountStatusChip, InvitationStatusChip, OutboxStatusChip } from '../common/StatusChip';
import { useStaffUser } from '../common/useStaffUser';
import type { ResetDeskDataProvider } from '../providers/dataProvider';
import { errorMessage } from '../providers/http';
import type { PatientRecord, PortalHistory } from '../providers/types';

interface TimelineItem {
  key: string;
  at: string;
  title: string;
  detail?: ReactNode;
  link?: string;
}

function eventDetail(event: AuditEventView): ReactNode {
  const details = event.details ?? {};
  const parts: string[] = [];
  if (event.action === 'portal.login_failed' || event.action === 'invitation.verify_failed' || event.action === 'password_reset.verify_failed') {
    // Anyone may type a username or open a link: a failure is not proof the patient did it.
    const username = typeof details.username === 'string' ? details.username : null;
    const who = username ? `Someone using username ${username}` : 'Someone';
    parts.push(event.ip ? `${who} (${event.ip})` : who);
  } else if (event.actorName) parts.push(`By ${event.actorName}`);
  else if (event.actorType === 'patient') parts.push('By the patient');
  else if (event.actorType === 'system') parts.push('By the system');
  if (event.reason) parts.push(`Reason: ${reasonLabel(event.reason)}`);
  if (typeof details.identityVerification === 'string') {
    parts.push(`Identity verified: ${labelFor(IDENTITY_VERIFICATION_LABELS, details.identityVerification)}`);
  }
  if (typeof details.retiredUsername === 'string') parts.push(`Retired username: ${details.retiredUsername}`);
  if (typeof details.sentTo === 'string') parts.push(`Sent to: ${details.sentTo}`);
  if (typeof details.note === 'string' && details.note) parts.push(`Note: ${details.note}`);
  return parts.join(' · ');
}

/** Accounts, invitations and audit events of one patient, merged, newest first. */
export function buildTimeline(history: PortalHistory, isAdmin: boolean): TimelineItem[] {
  const items: TimelineItem[] = [
    ...history.accounts.map((account) => ({
      key: `account-${account.id}`,
      at: account.createdAt,
      title: `Portal account “${account.username}” created`,
      detail: (
        <>
          Now: <AccountStatusChip value={account.status} />
        </>
      ),
    })),
    ...history.invitations.map((invitation) => ({
      key: `invitation-${invitation.id}`,
      at: invitation.createdAt,
      title: `Registration invitation sent to ${invitation.sentTo}`,
      detail: (
        <>
          Now: <InvitationStatusChip value={invitation.status} /> Email: <OutboxStatusChip value={invitation.emailStatus} />
        </>
      ),
    })),
    ...history.events.map((event) => ({
      key: `event-${event.id}`,
      at: event.createdAt,
      title: labelFor(AUDIT_ACTION_LABELS, event.action),
      detail: eventDetail(event),
      link: isAdmin ? `/audit-events/${encodeURIComponent(event.id)}/show` : undefined,
    })),
  ];
  return items.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

const PortalHistoryTimeline = ({ patientId }: { patientId: PatientRecord['id'] }) => {
  const dataProvider = useDataProvider<ResetDeskDataProvider>();
  const { isAdmin } = useStaffUser();
  const { data, error, isPending } = useQuery({
    queryKey: ['patients', 'portal-history', patientId],
    queryFn: () => dataProvider.getPortalHistory(patientId),
  });
  if (isPending) {
    return (
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1 }} role="status">
        <CircularProgress size={20} aria-hidden /> Loading the history…
      </Box>
    );
  }
  if (error) {
    return (
      <Alert severity="error" role="alert">
        The history could not be loaded: {errorMessage(error)}
      </Alert>
    );
  }
  const items = buildTimeline(data, isAdmin);
  if (items.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        Nothing has happened on the portal yet.
      </Typography>
    );
  }
  return (
    <Box component="ol" sx={{ listStyle: 'none', p: 0, m: 0, borderLeft: 2, borderColor: 'divider' }}>
      {items.map((item) => (
        <Box component="li" key={item.key} sx={{ pl: 2, pb: 2, position: 'relative' }}>
          <Box aria-hidden sx={{ position: 'absolute', left: -7, top: 6, width: 12, height: 12, borderRadius: '50%', bgcolor: 'primary.main' }} />
          <Typography variant="caption" color="text.secondary" component="p">
            <DateTimeText value={item.at} />
          </Typography>
          <Typography variant="body2" component="p" sx={{ fontWeight: 600 }}>
            {item.link ? (
              <MuiLink component={Link} to={item.link}>
                {item.title}
              </MuiLink>
            ) : (
              item.title
            )}
          </Typography>
          {item.detail ? (
            <Typography variant="body2" component="div" color="text.secondary" sx={{ display: 'flex', gap: 0.5, alignItems: 'center', flexWrap: 'wrap' }}>
              {item.detail}
            </Typography>
          ) : null}
        </Box>
      ))}
    </Box>
  );
};

/** The Portal tab: current account, current invitation, and the history timeline. */
export const PortalTab = () => {
  const patient = useRecordContext<PatientRecord>();
  if (!patient) return null;
  const account = patient.portalAccount;
  const invitation = patient.invitation;
  return (
    <Box>
      <SectionTitle>Portal account</SectionTitle>
      {account ? (
        <DetailList
          items={[
            ['Username', account.username],
            ['Status', <AccountStatusChip value={account.status} />],
            ['Lock reason', account.lockReason ? labelFor(LOCK_REASON_LABELS, account.lockReason) : null],
            ['Locked at', account.lockedAt ? <DateTimeText value={account.lockedAt} /> : null],
            ['Last sign-in', <DateTimeText value={account.lastLoginAt} />],
            ['Created', <DateTimeText value={account.createdAt} />],
          ]}
        />
      ) : (
        <Typography variant="body2" color="text.secondary">
          The patient has no portal account.
        </Typography>
      )}

      {account && <EndPortalSessionsButton patient={patient} />}

      <SectionTitle>Registration invitation</SectionTitle>
      {invitation ? (
        <DetailList
          items={[
            ['Sent to', invitation.sentTo],
            ['Expires', <DateTimeText value={invitation.expiresAt} />],
            ['Status', <InvitationStatusChip value={invitation.status} />],
            ['Email status', <OutboxStatusChip value={invitation.emailStatus} />],
          ]}
        />
      ) : (
        <Typography variant="body2" color="text.secondary">
          No registration invitation.
        </Typography>
      )}

      <SectionTitle>History</SectionTitle>
      <PortalHistoryTimeline patientId={patient.id} />
    </Box>
  );
};
