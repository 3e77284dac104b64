import type { RaRecord } from 'react-admin';

/** URIs are edited one per line. */
export const formatUris = (value: unknown): string => (Array.isArray(value) ? value.join('\n') : typeof value === 'string' ? value : '');
export const parseUris = (value: string): string[] => value.split('\n');
const clean = (value: unknown): string[] => (Array.isArray(value) ? value : String(value ?? '').split('\n')).map((line) => String(line).trim()).filter(Boolean);

/** Exactly the fields the API accepts (unknown body fields answer 400). */
export const toPortalAppBody = (data: RaRecord, creating: boolean) => ({
  name: String(data.name ?? '').trim(),
  redirectUris: clean(data.redirectUris),
  postLogoutRedirectUris: clean(data.postLogoutRedirectUris),
  backchannelLogoutUri: String(data.backchannelLogoutUri ?? '').trim() || null,
  ...(creating ? { confidential: data.confidential !== false } : {}),
});

export const URI_HELP = 'One per line. https, or http only for http://localhost and http://127.0.0.1.';
