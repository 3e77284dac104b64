import { TextInput, maxLength, required } from 'react-admin';

import { URI_HELP, formatUris, parseUris } from './uris';

export const PortalAppFields = () => (
  <>
    <TextInput source="name" label="Name" validate={[required(), maxLength(100)]} fullWidth />
    <TextInput
      source="redirectUris"
      label="Redirect URIs"
      multiline
      minRows={2}
      format={formatUris}
      parse={parseUris}
      helperText={URI_HELP}
      validate={required()}
      fullWidth
    />
    <TextInput
      source="postLogoutRedirectUris"
      label="Post-logout redirect URIs"
      multiline
      minRows={1}
      format={formatUris}
      parse={parseUris}
      helperText={URI_HELP}
      fullWidth
    />
    <TextInput
      source="backchannelLogoutUri"
      label="Back-channel logout URI"
      helperText="Where ResetDesk posts a logout token when the patient's access ends (reset, lock, password change, End portal sessions)."
      fullWidth
    />
  </>
);
