import { DataTable, List, SelectInput } from 'react-admin';

import { DateTimeText } from '../common/dates';
import { CHANNEL_LABELS, OUTBOX_STATUS_CHOICES, labelFor } from '../common/labels';
import { OutboxStatusChip } from '../common/StatusChip';
import type { OutboxMessage } from '../providers/types';
import { listSx } from '../common/listSx';

const emailFilters = [
  <SelectInput
    key="status"
    source="status"
    label="Status"
    choices={OUTBOX_STATUS_CHOICES}
    emptyText="Any status"
    helperText={false}
    alwaysOn
    sx={{ minWidth: 180 }}
  />,
];

export const EmailList = () => (
  <List
    title="Emails"
    filters={emailFilters}
    sort={{ field: 'createdAt', order: 'DESC' }}
    perPage={25}
    exporter={false}
    actions={false}
    sx={listSx}
  >
    <DataTable<OutboxMessage> rowClick="show" bulkActionButtons={false}>
      <DataTable.Col source="createdAt" label="Created" render={(record) => <DateTimeText value={record.createdAt} />} />
      <DataTable.Col source="channel" label="Channel" render={(record) => labelFor(CHANNEL_LABELS, record.channel)} />
      <DataTable.Col source="template" label="Template" />
      <DataTable.Col source="to" label="To" />
      <DataTable.Col source="subject" label="Subject" render={(record) => record.subject ?? '—'} />
      <DataTable.Col source="status" label="Status" render={(record) => <OutboxStatusChip value={record.status} />} />
      <DataTable.Col
        source="attempts"
        label="Attempts"
        render={(record) => (record.maxAttempts ? `${record.attempts} of ${record.maxAttempts}` : String(record.attempts))}
      />
      <DataTable.Col
        source="lastError"
        label="Last error"
        disableSort
        cellSx={() => ({ maxWidth: 280, overflow: 'hidden', textOverflow: 'ellipsis' })}
        render={(record) => (record.lastError ? <span title={record.lastError}>{record.lastError}</span> : '—')}
      />
      <DataTable.Col
        source="nextAttemptAt"
        label="Next attempt"
        render={(record) => <DateTimeText value={record.nextAttemptAt} />}
      />
      <DataTable.Col source="sentAt" label="Sent" render={(record) => <DateTimeText value={record.sentAt} />} />
    </DataTable>
  </List>
);

export default EmailList;
