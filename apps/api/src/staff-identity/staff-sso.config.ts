/** Staff single sign-on through the clinic's OpenID Connect identity provider. */
export interface StaffSsoConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** A practice's name or id: where first sign-ins create their staff user. */
  practice: string;
  roleClaim: string;
  adminValues: string[];
  deskValues: string[];
}

export class StaffSsoConfigError extends Error {}

const REQUIRED = ['STAFF_OIDC_ISSUER', 'STAFF_OIDC_CLIENT_ID', 'STAFF_OIDC_CLIENT_SECRET', 'STAFF_OIDC_PRACTICE'] as const;
const MAPPINGS = ['STAFF_OIDC_ADMIN_VALUES', 'STAFF_OIDC_DESK_VALUES'] as const;

const list = (raw: string | undefined) =>
  (raw ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/**
 * All or nothing: a half-configured sign-on would fail at the first sign-in instead of at start-up,
 * so a partial set names what is missing.
 */
export function loadStaffSsoConfig(env: Record<string, string | undefined>): StaffSsoConfig | null {
  const names = [...REQUIRED, ...MAPPINGS, 'STAFF_OIDC_ROLE_CLAIM'];
  if (!names.some((name) => env[name]?.trim())) return null;
  const missing = REQUIRED.filter((name) => !env[name]?.trim());
  if (missing.length) throw new StaffSsoConfigError(`${missing.join(', ')} must be set too: single sign-on needs every STAFF_OIDC_* setting (see README)`);
  if (!list(env.STAFF_OIDC_ADMIN_VALUES).length && !list(env.STAFF_OIDC_DESK_VALUES).length) {
    throw new StaffSsoConfigError('STAFF_OIDC_ADMIN_VALUES or STAFF_OIDC_DESK_VALUES must be set: without a role mapping no one could sign in');
  }
  let issuer: URL;
  try {
    issuer = new URL(env.STAFF_OIDC_ISSUER!.trim());
  } catch {
    throw new StaffSsoConfigError('STAFF_OIDC_ISSUER is not a valid URL');
  }
  if (issuer.protocol !== 'https:' && issuer.protocol !== 'http:') throw new StaffSsoConfigError('STAFF_OIDC_ISSUER must start with https://');
  return {
    issuer: issuer.href.replace(/\/$/, ''),
    clientId: env.STAFF_OIDC_CLIENT_ID!.trim(),
    clientSecret: env.STAFF_OIDC_CLIENT_SECRET!.trim(),
    practice: env.STAFF_OIDC_PRACTICE!.trim(),
    roleClaim: env.STAFF_OIDC_ROLE_CLAIM?.trim() || 'groups',
    adminValues: list(env.STAFF_OIDC_ADMIN_VALUES),
    deskValues: list(env.STAFF_OIDC_DESK_VALUES),
  };
}
