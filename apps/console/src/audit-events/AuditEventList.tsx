import type { MouseEvent } from 'react';
import { Link as MuiLink } from '@mui/material';
import { DataTable, DateInput, Link, List, SelectInput, TextInput, useGetList, type SelectInputProps } from 'react-admin';
import type { AuditEventView } from '@resetdesk/contracts';

import { DateTimeText } from '../common/dates';
import { AUDIT_ACTION_CHOICES, AUDIT_ACTION_LABELS, labelFor, reasonLabel } from '../common/labels';
import type { StaffMember } from '../providers/types';
import { AuditToolbar } from './AuditToolbar';
import { listSx } from '../common/listSx';

type AuditEventRecord = AuditEventView & { id: string };

/** Staff of the practice as a select (no getMany: the list is small and loaded once). */
const StaffSelectInput = (props: Omit<SelectInputProps, 'choices'>) => {
  const { data, isPending } = useGetList<StaffMember>('staff', {
    pagination: { page: 1, perPage: 200 },
    sort: { field: 'name', order: 'ASC' },
    filter: {},
  });
  return <SelectInput {...props} choices={data ?? []} optionText="name" isPending={isPending} />;
};

const auditFilters = [
  <SelectInput
    key="action"
    source="action"
    label="Action"
    choices={AUDIT_ACTION_CHOICES}
    emptyText="Any action"
    helperText={false}
    alwaysOn
    sx={{ minWidth: 220 }}
  />,
  <StaffSelectInput key="actorId" source="actorId" label="Staff member" emptyText="Anyone" helperText={false} alwaysOn sx={{ minWidth: 180 }} />,
  <DateInput key="from" source="from" label="From" helperText={false} alwaysOn />,
  <DateInput key="to" source="to" label="To" helperText={false} alwaysOn />,
  <TextInput key="patient" source="patient" label="Patient name or MRN" helperText={false} alwaysOn />,
  // Kept for links from a patient's page (?filter={"patientId":...}); shown only when set.
  <TextInput key="patientId" source="patientId" label="Patient ID" helperText={false} />,
];

const stop = (event: MouseEvent) => event.stopPropagation();

export const AuditEventList = () => (
  <List
    title="Audit log"
    filters={auditFilters}
    sort={{ field: 'createdAt', order: 'DESC' }}
    perPage={50}
    exporter={false}
    actions={<AuditToolbar />}
    sx={listSx}
  >
    <DataTable<AuditEventRecord> rowClick="show" bulkActionButtons={false}>
      <DataTable.Col source="createdAt" label="When" render={(record) => <DateTimeText value={record.createdAt} />} />
      <DataTable.Col source="action" label="Action" render={(record) => labelFor(AUDIT_ACTION_LABELS, record.action)} />
      <DataTable.Col
        source="actorName"
        label="Actor"
        disableSort
        render={(record) => record.actorName ?? (record.actorType === 'staff' ? 'Staff' : record.actorType === 'patient' ? 'Patient' : 'System')}
      />
      <DataTable.Col
        source="patientId"
        label="Patient"
        disableSort
        render={(record) =>
          record.patientId ? (
            <MuiLink component={Link} to={`/patients/${encodeURIComponent(record.patientId)}/show`} onClick={stop}>
              {record.patientName ?? 'Patient'}
              {record.patientMrn ? ` (MRN ${record.patientMrn})` : ''}
            </MuiLink>
          ) : (
            '—'
          )
        }
      />
      <DataTable.Col source="reason" label="Reason" disableSort render={(record) => reasonLabel(record.reason)} />
      <DataTable.Col source="ip" label="IP address" disableSort render={(record) => record.ip ?? '—'} />
    </DataTable>
  </List>
);

export default AuditEventList;
