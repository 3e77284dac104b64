import { DataTable, List, SelectInput } from 'react-admin';

import { DateTimeText } from '../common/dates';
import { OUTBOX_STATUS_CHOICES } from '../common/labels';
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

/** Long addresses, subjects and errors stay on one clipped line (full text on hover) so the table fits 1366 px;
 * channel, template, when it was sent and the next attempt are on the message's page. */
const Clipped = ({ text, width }: { text: string | null | undefined; width: number }) =>
  text ? (
    <span title={text} style={{ display: 'block', maxWidth: width, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
      {text}
    </span>
  ) : (
    <>—</>
  );

export const EmailList = () => (
  <List title="Emails" filters={emailFilters} sort={{ field: 'createdAt', order: 'DESC' }} perPage={25} exporter={false} actions={false} sx={listSx}>
    <DataTable<OutboxMessage> rowClick="show" bulkActionButtons={false}>
      <DataTable.Col source="createdAt" label="Created" render={(record) => <DateTimeText value={record.createdAt} />} />
      <DataTable.Col source="status" label="Status" render={(record) => <OutboxStatusChip value={record.status} />} />
      <DataTable.Col source="to" label="To" render={(record) => <Clipped text={record.to} width={160} />} />
      <DataTable.Col source="subject" label="Subject" render={(record) => <Clipped text={record.subject} width={180} />} />
      <DataTable.Col
        source="attempts"
        label="Attempts"
        render={(record) => (record.maxAttempts ? `${record.attempts} of ${record.maxAttempts}` : String(record.attempts))}
      />
      <DataTable.Col source="lastError" label="Last error" disableSort render={(record) => <Clipped text={record.lastError} width={180} />} />
    </DataTable>
  </List>
);

export default EmailList;
