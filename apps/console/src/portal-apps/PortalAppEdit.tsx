import { Typography } from '@mui/material';
import { DeleteButton, Edit, SaveButton, SimpleForm, Toolbar, useRecordContext, type RaRecord } from 'react-admin';

import { PortalAppFields } from './PortalAppFields';
import { toPortalAppBody } from './uris';

const ClientId = () => {
  const app = useRecordContext();
  return (
    <Typography variant="body2" sx={{ mb: 2 }}>
      <strong>Client ID:</strong> <code>{app?.clientId}</code> ({app?.confidential ? 'confidential' : 'public'}; neither can be changed)
    </Typography>
  );
};

const EditToolbar = () => (
  <Toolbar sx={{ justifyContent: 'space-between' }}>
    <SaveButton />
    <DeleteButton
      mutationMode="pessimistic"
      confirmTitle="Remove this portal app?"
      confirmContent="Its tokens stop working at once and patients can no longer sign in through it."
    />
  </Toolbar>
);

export const PortalAppEdit = () => (
  <Edit title="Portal app" mutationMode="pessimistic" transform={(data: RaRecord) => toPortalAppBody(data, false)} redirect="list" actions={false}>
    <SimpleForm toolbar={<EditToolbar />}>
      <ClientId />
      <PortalAppFields />
    </SimpleForm>
  </Edit>
);

export default PortalAppEdit;
