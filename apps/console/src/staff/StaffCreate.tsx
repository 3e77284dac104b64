import { Create, PasswordInput, SelectInput, SimpleForm, TextInput, email, maxLength, minLength, required, type RaRecord } from 'react-admin';

import { ROLE_CHOICES } from '../common/labels';

/** Sends exactly the fields the API accepts (unknown body fields answer 400). */
const toCreateBody = (data: RaRecord) => ({
  email: String(data.email ?? '').trim(),
  name: String(data.name ?? '').trim(),
  role: data.role,
  password: data.password,
});

export const StaffCreate = () => (
  <Create title="Add staff member" redirect="list" transform={toCreateBody}>
    <SimpleForm defaultValues={{ role: 'front_desk' }}>
      <TextInput source="email" label="Email" type="email" validate={[required(), email()]} fullWidth autoComplete="off" />
      <TextInput source="name" label="Name" validate={[required(), maxLength(160)]} fullWidth />
      <SelectInput source="role" label="Role" choices={ROLE_CHOICES} validate={required()} />
      <PasswordInput
        source="password"
        label="Initial password"
        validate={[required(), minLength(12, 'Use at least 12 characters.'), maxLength(128)]}
        helperText="At least 12 characters. Give it to the staff member in person."
        autoComplete="new-password"
        fullWidth
      />
    </SimpleForm>
  </Create>
);

export default StaffCreate;
