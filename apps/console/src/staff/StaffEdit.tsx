import { Typography } from '@mui/material';
import { BooleanInput, Edit, SaveButton, SelectInput, SimpleForm, TextInput, Toolbar, maxLength, required, useRecordContext, type RaRecord } from 'react-admin';

import { ROLE_CHOICES } from '../common/labels';
import type { StaffMember } from '../providers/types';
import { ResetTwoStepButton } from './ResetTwoStepButton';

/** PUT /api/staff/:id with only the editable fields. */
const toUpdateBody = (data: RaRecord) => ({
  name: String(data.name ?? '').trim(),
  role: data.role,
  active: !!data.active,
});

const StaffEditTitle = () => {
  const staff = useRecordContext<StaffMember>();
  return <span>{staff ? `Staff: ${staff.name}` : 'Staff'}</span>;
};

const StaffEmail = () => {
  const staff = useRecordContext<StaffMember>();
  return (
    <Typography variant="body2" sx={{ mb: 2 }}>
      <strong>Email:</strong> {staff?.email} <span>(the email address cannot be changed)</span>
    </Typography>
  );
};

/** Save only: staff are deactivated, never deleted. */
const StaffEditToolbar = () => (
  <Toolbar>
    <SaveButton />
    <ResetTwoStepButton />
  </Toolbar>
);

export const StaffEdit = () => (
  <Edit title={<StaffEditTitle />} mutationMode="pessimistic" transform={toUpdateBody} redirect="list" actions={false}>
    <SimpleForm toolbar={<StaffEditToolbar />}>
      <StaffEmail />
      <TextInput source="name" label="Name" validate={[required(), maxLength(160)]} fullWidth />
      <SelectInput source="role" label="Role" choices={ROLE_CHOICES} validate={required()} />
      <BooleanInput
        source="active"
        label="Active (can sign in)"
        helperText="Turn off to deactivate this staff member. Staff are never deleted; their actions stay in the audit log."
      />
    </SimpleForm>
  </Edit>
);

export default StaffEdit;
