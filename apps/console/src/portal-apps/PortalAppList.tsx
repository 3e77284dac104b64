import { Box, Typography } from '@mui/material';
import { CreateButton, DataTable, List, TopToolbar } from 'react-admin';

import { DateTimeText } from '../common/dates';
import { listSx } from '../common/listSx';

interface PortalAppRecord {
  id: string;
  name: string;
  clientId: string;
  redirectUris: string[];
  backchannelLogoutUri: string | null;
  confidential: boolean;
  createdAt: string;
}

/** Before the first app: what portal apps are, and the same Add button as the list's. */
const NoPortalApps = () => (
  <Box sx={{ p: 3 }}>
    <Typography variant="h6" component="p" gutterBottom>
      No portal apps yet.
    </Typography>
    <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
      A portal app is a patient portal that signs patients in through ResetDesk (OpenID Connect).
    </Typography>
    <CreateButton label="Add portal app" variant="contained" />
  </Box>
);

export const PortalAppList = () => (
  <List
    title="Portal apps"
    sort={{ field: 'name', order: 'ASC' }}
    perPage={50}
    exporter={false}
    empty={<NoPortalApps />}
    actions={
      <TopToolbar>
        <CreateButton label="Add portal app" />
      </TopToolbar>
    }
    sx={listSx}
  >
    <DataTable<PortalAppRecord> rowClick="edit" bulkActionButtons={false}>
      <DataTable.Col source="name" label="Name" />
      <DataTable.Col source="clientId" label="Client ID" />
      <DataTable.Col
        source="confidential"
        label="Kind"
        disableSort
        render={(record) => (record.confidential ? 'Confidential (has a secret)' : 'Public (PKCE only)')}
      />
      <DataTable.Col source="redirectUris" label="Redirect URIs" disableSort render={(record) => record.redirectUris.join(', ')} />
      <DataTable.Col source="backchannelLogoutUri" label="Back-channel logout" disableSort render={(record) => record.backchannelLogoutUri ?? '—'} />
      <DataTable.Col source="createdAt" label="Added" render={(record) => <DateTimeText value={record.createdAt} />} />
    </DataTable>
  </List>
);

export default PortalAppList;
