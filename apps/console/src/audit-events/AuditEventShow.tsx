import { Box, Chip, Link as MuiLink, Typography } from '@mui/material';
import { Link, Show, useRecordContext } from 'react-admin';
import type { AuditEventView } from '@resetdesk/contracts';

import { DateTimeText } from '../common/dates';
import { DetailList, SectionTitle } from '../common/DetailList';
import {
  AUDIT_ACTION_LABELS,
  IDENTITY_VERIFICATION_LABELS,
  PORTAL_STATUS_LABELS,
  detailKeyLabel,
  detailValueLabel,
  labelFor,
  reasonLabel,
} from '../common/labels';

type AuditEventRecord = AuditEventView & { id: string };

const ACTOR_TYPE_LABELS: Record<string, string> = { staff: 'staff', patient: 'patient', system: 'system' };

const KNOWN_DETAILS = new Set([
  'identityVerification',
  'note',
  'previousStatus',
  'retiredUsername',
  'invitationId',
  'sentTo',
  'chartChecksumBefore',
  'chartChecksumAfter',
]);

const Mono = ({ children }: { children: string | null | undefined }) =>
  children ? (
    <Box component="code" sx={{ fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace', fontSize: '0.85em', wordBreak: 'break-all' }}>
      {children}
    </Box>
  ) : null;

const text = (value: unknown): string | null => (value === null || value === undefined || value === '' ? null : String(value));

const ChecksumVerdict = ({ before, after }: { before: string | null; after: string | null }) => {
  if (!before || !after) return <span>Not recorded</span>;
  return before === after ? <Chip color="success" label="Chart unchanged" /> : <Chip color="error" label="Chart changed: checksums differ" />;
};

const AuditEventTitle = () => {
  const event = useRecordContext<AuditEventRecord>();
  return <span>{event ? labelFor(AUDIT_ACTION_LABELS, event.action) : 'Audit event'}</span>;
};

const AuditEventDetail = () => {
  const event = useRecordContext<AuditEventRecord>();
  if (!event) return null;
  const details = event.details ?? {};
  const before = text(details.chartChecksumBefore);
  const after = text(details.chartChecksumAfter);
  const extra = Object.entries(details).filter(([key]) => !KNOWN_DETAILS.has(key));
  const actor = event.actorName ?? (event.actorType === 'patient' ? 'The patient' : event.actorType === 'system' ? 'The system' : 'Staff');

  return (
    <Box sx={{ p: { xs: 2, sm: 3 } }}>
      <Typography variant="h5" component="h1">
        {labelFor(AUDIT_ACTION_LABELS, event.action)}
      </Typography>
      <Typography variant="body2" color="text.secondary" gutterBottom>
        <DateTimeText value={event.createdAt} />
      </Typography>

      <SectionTitle>What happened</SectionTitle>
      <DetailList
        items={[
          ['Action', labelFor(AUDIT_ACTION_LABELS, event.action)],
          ['Actor', `${actor} (${ACTOR_TYPE_LABELS[event.actorType] ?? event.actorType})`],
          [
            'Patient',
            event.patientId ? (
              <MuiLink component={Link} to={`/patients/${encodeURIComponent(event.patientId)}/show`}>
                {event.patientName ?? 'Patient'}
                {event.patientMrn ? ` (MRN ${event.patientMrn})` : ''}
              </MuiLink>
            ) : null,
          ],
          ['Reason', event.reason ? reasonLabel(event.reason) : null],
          ['Identity verification', details.identityVerification ? labelFor(IDENTITY_VERIFICATION_LABELS, details.identityVerification) : null],
          ['Note', text(details.note)],
          ['Previous status', details.previousStatus ? labelFor(PORTAL_STATUS_LABELS, details.previousStatus) : null],
          ['Retired username', text(details.retiredUsername)],
          ['Invitation', <Mono>{text(details.invitationId)}</Mono>],
          ['Sent to', text(details.sentTo)],
        ]}
      />

      <SectionTitle>Chart checksums</SectionTitle>
      <DetailList
        items={[
          ['Before', <Mono>{before}</Mono>],
          ['After', <Mono>{after}</Mono>],
          ['Result', <ChecksumVerdict before={before} after={after} />],
        ]}
      />

      <SectionTitle>Request</SectionTitle>
      <DetailList
        items={[
          ['IP address', text(event.ip)],
          ['User agent', text(event.userAgent)],
        ]}
      />

      <SectionTitle>Hash chain</SectionTitle>
      <DetailList
        items={[
          ['Event ID', <Mono>{event.id}</Mono>],
          ['Hash', <Mono>{event.hash}</Mono>],
          ['Previous hash', event.prevHash ? <Mono>{event.prevHash}</Mono> : 'None (first event of the practice)'],
        ]}
      />

      {extra.length > 0 && (
        <>
          <SectionTitle>Other details</SectionTitle>
          <DetailList
            items={extra.map(([key, value]) => [
              detailKeyLabel(key),
              typeof value === 'object' && value !== null ? <Mono>{JSON.stringify(value)}</Mono> : detailValueLabel(key, value),
            ])}
          />
        </>
      )}
    </Box>
  );
};

export const AuditEventShow = () => (
  <Show title={<AuditEventTitle />} actions={false}>
    <AuditEventDetail />
  </Show>
);

export default AuditEventShow;
