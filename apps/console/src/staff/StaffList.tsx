import { Chip } from '@mui/material';
import { CreateButton, DataTable, List, TopToolbar } from 'react-admin';

import { DateTimeText } from '../common/dates';
import { ROLE_LABELS, labelFor } from '../common/labels';
import type { StaffMember } from '../providers/types';
import { listSx } from '../common/listSx';

export const StaffList = () => (
  <List
    title="Staff"
    sort={{ field: 'name', order: 'ASC' }}
    perPage={50}
    exporter={false}
    actions={
      <TopToolbar>
        <CreateButton label="Add staff member" />
      </TopToolbar>
    }
    sx={listSx}
  >
    <DataTable<StaffMember> rowClick="edit" bulkActionButtons={false}>
      <DataTable.Col source="name" label="Name" />
      <DataTable.Col source="email" label="Email" />
      <DataTable.Col source="role" label="Role" render={(record) => labelFor(ROLE_LABELS, record.role)} />
      <DataTable.Col
        source="active"
        label="Status"
        render={(record) =>
          record.active ? <Chip size="small" color="success" label="Active" /> : <Chip size="small" variant="outlined" label="Deactivated" />
        }
      />
      <DataTable.Col source="lastLoginAt" label="Last sign-in" render={(record) => <DateTimeText value={record.lastLoginAt} />} />
      <DataTable.Col source="createdAt" label="Added" render={(record) => <DateTimeText value={record.createdAt} />} />
    </DataTable>
  </List>
);

export default StaffList;
