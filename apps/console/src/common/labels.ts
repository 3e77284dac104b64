import {
  AUDIT_ACTIONS,
  IDENTITY_VERIFICATION_METHODS,
  OUTBOX_STATUSES,
  PORTAL_STATUSES,
  RESET_REASONS,
  STAFF_ROLES,
  type AuditAction,
  type IdentityVerificationMethod,
  type InvitationStatus,
  type LockReason,
  type MessageChannel,
  type OutboxStatus,
  type PortalAccountStatus,
  type PortalStatus,
  type ResetReason,
  type StaffRole,
} from '@resetdesk/contracts';

export const RESET_REASON_LABELS: Record<ResetReason, string> = {
  forgot_credentials: 'Forgot username or password',
  cannot_receive_code: 'Cannot receive the security code',
  account_locked: 'Account is locked',
  suspected_compromise: 'Someone else may have used the account',
  patient_request: 'Patient asked for a reset',
  other: 'Other (explain in the note)',
};

export const IDENTITY_VERIFICATION_LABELS: Record<IdentityVerificationMethod, string> = {
  in_person_photo_id: 'In person, with photo ID',
  phone_dob_and_address: 'By phone: date of birth and address',
  callback_to_chart_phone: 'Called back on the phone number in the chart',
  other: 'Other (explain in the note)',
};

export const PORTAL_STATUS_LABELS: Record<PortalStatus, string> = {
  active: 'Active',
  locked: 'Locked',
  invited: 'Invited',
  link_locked: 'Link locked',
  none: 'No account',
};

export const ACCOUNT_STATUS_LABELS: Record<PortalAccountStatus, string> = {
  active: 'Active',
  locked: 'Locked',
  closed: 'Closed',
};

export const INVITATION_STATUS_LABELS: Record<InvitationStatus, string> = {
  pending: 'Pending',
  used: 'Used',
  revoked: 'Revoked',
  expired: 'Expired',
  locked: 'Locked',
};

export const OUTBOX_STATUS_LABELS: Record<OutboxStatus, string> = {
  queued: 'Waiting to send',
  sending: 'Sending',
  sent: 'Sent',
  retrying: 'Retrying',
  dead: 'Not delivered',
  cancelled: 'Cancelled (replaced)',
};

export const CHANNEL_LABELS: Record<MessageChannel, string> = {
  email: 'Email',
  sms: 'Text message',
  voice: 'Voice call',
  backchannel_logout: 'Portal app sign-out',
};

export const LOCK_REASON_LABELS: Record<LockReason, string> = {
  too_many_login_failures: 'Too many failed sign-ins',
  too_many_recovery_failures: 'Too many failed recovery attempts',
  staff_action: 'Locked by staff',
};

export const ROLE_LABELS: Record<StaffRole, string> = {
  front_desk: 'Front desk',
  practice_admin: 'Practice admin',
};

export const AUDIT_ACTION_LABELS: Record<AuditAction, string> = {
  'staff.login': 'Staff signed in',
  'staff.login_failed': 'Staff sign-in failed',
  'staff.logout': 'Staff signed out',
  'staff.created': 'Staff member added',
  'staff.updated': 'Staff member changed',
  'staff.unlocked': 'Staff sign-in lock lifted',
  'staff.mfa_enrolled': 'Two-step sign-in set up',
  'staff.mfa_recovery_code_used': 'Recovery code used to sign in',
  'staff.mfa_reset': 'Two-step sign-in reset',
  'staff.passkey_added': 'Passkey added',
  'staff.passkey_removed': 'Passkey removed',
  'patient.viewed': 'Patient viewed',
  'portal.reset': 'Portal account reset',
  'portal.unlocked': 'Portal account unlocked',
  'portal.registered': 'Patient created a portal account',
  'portal.locked': 'Portal account locked',
  'invitation.created': 'Registration invitation created',
  'invitation.resent': 'Registration email resent',
  'invitation.verified': 'Patient verified their identity',
  'invitation.verify_failed': 'Identity check failed',
  'invitation.locked': 'Registration link locked',
  'invitation.code_sent': 'Security code sent',
  'email.sent': 'Message sent',
  'email.failed': 'Message failed',
  'email.retried': 'Message retried',
  'portal.login': 'Patient signed in',
  'portal.login_failed': 'Patient sign-in failed',
  'portal.logout': 'Patient signed out',
  'password_reset.requested': 'Password reset requested',
  'password_reset.code_sent': 'Password reset code sent',
  'password_reset.verified': 'Patient verified for password reset',
  'password_reset.verify_failed': 'Password reset check failed',
  'password_reset.completed': 'Patient reset their password',
  'username.reminder_requested': 'Username reminder requested',
  'practice.settings_updated': 'Practice settings changed',
  'patient.contact_changed': 'Chart email or phone changed',
  'audit.exported': 'Audit log exported',
  'portal_app.created': 'Portal app added',
  'portal_app.updated': 'Portal app changed',
  'portal_app.deleted': 'Portal app removed',
  'portal.sessions_ended': 'Portal sessions ended',
  'chart.imported': 'Charts imported from the EHR',
  'chart.contact_changed': 'Chart email or phone changed',
};

/** Looks a code up in a label table; unknown codes are shown as they are. */
export function labelFor(table: Record<string, string>, value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  const key = String(value);
  return table[key] ?? key;
}

type Choice = { id: string; name: string };
const choices = (ids: readonly string[], table: Record<string, string>): Choice[] => ids.map((id) => ({ id, name: table[id] ?? id }));

export const RESET_REASON_CHOICES = choices(RESET_REASONS, RESET_REASON_LABELS);
export const IDENTITY_VERIFICATION_CHOICES = choices(IDENTITY_VERIFICATION_METHODS, IDENTITY_VERIFICATION_LABELS);
export const PORTAL_STATUS_CHOICES = choices(PORTAL_STATUSES, PORTAL_STATUS_LABELS);
export const OUTBOX_STATUS_CHOICES = choices(OUTBOX_STATUSES, OUTBOX_STATUS_LABELS);
export const ROLE_CHOICES = choices(STAFF_ROLES, ROLE_LABELS);
export const AUDIT_ACTION_CHOICES = choices(AUDIT_ACTIONS, AUDIT_ACTION_LABELS);

/** `alice@example.com` -> `a***@example.com`, as the API masks `sentTo`. */
export function maskEmail(email: string | null | undefined): string {
  if (!email) return '';
  const at = email.lastIndexOf('@');
  if (at <= 0) return `${email.charAt(0)}***`;
  return `${email.charAt(0)}***${email.slice(at)}`;
}

/** Why an audited thing happened or failed (the event's `reason`), in words staff use. */
export const EVENT_REASON_LABELS: Record<string, string> = {
  ...RESET_REASON_LABELS,
  ...LOCK_REASON_LABELS,
  wrong_password: 'Wrong password',
  account_locked: 'Account is locked',
  date_of_birth_mismatch: 'Date of birth did not match',
  pin_mismatch: 'Wrong PIN',
  phone_mismatch: 'Phone number did not match',
  code_mismatch: 'Wrong security code',
  code_expired: 'Security code expired',
  security_answer_mismatch: 'Wrong security answer',
  link_sent: 'Reset link sent',
  no_chart_email: 'The chart has no email address',
  throttled: 'Too many requests: nothing sent',
  sent: 'Sent',
  unknown_or_wrong_password: 'Unknown email or wrong password',
  inactive: 'Account deactivated',
  staff_unlock: 'Unlocked by staff',
  superseded: 'Replaced by a newer message',
};

/** An audit event's reason as words; any code not listed is made readable rather than shown raw. */
export function reasonLabel(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  return EVENT_REASON_LABELS[String(value)] ?? humanizeKey(String(value));
}

/** Names of audit detail fields, as staff read them. */
export const DETAIL_KEY_LABELS: Record<string, string> = {
  portalAccountId: 'Portal account',
  failedLoginCount: 'Failed sign-ins in a row',
  failedAttempts: 'Failed attempts',
  lockReason: 'Lock reason',
  clearedLockReason: 'Lock cleared',
  outboxMessageId: 'Message',
  passwordResetId: 'Password reset',
  revokedPasswordResets: 'Reset links cancelled',
  revokedSessions: 'Sign-ins ended',
  staffUserId: 'Staff member',
  portalSessionId: 'Portal sign-in',
  verifiedBy: 'Verified by',
  sentTo: 'Sent to',
  expiresAt: 'Expires',
  why: 'Why',
  email: 'Email',
  username: 'Username',
  channel: 'Sent by',
  template: 'Message',
  attempts: 'Attempts',
  error: 'Error',
  dead: 'Gave up',
  method: 'Method',
  view: 'Screen',
  to: 'To',
  filter: 'Filter',
  changes: 'Changes',
  role: 'Role',
};

/** `failedLoginCount` -> "Failed login count": the fallback for a key without a label. */
export function humanizeKey(key: string): string {
  const words = key
    .replace(/[_.-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function detailKeyLabel(key: string): string {
  return DETAIL_KEY_LABELS[key] ?? humanizeKey(key);
}

/** A detail value as words: known codes get their labels, booleans Yes/No. */
export function detailValueLabel(key: string, value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (key === 'lockReason' || key === 'clearedLockReason' || key === 'why') return reasonLabel(value);
  if (key === 'channel') return labelFor(CHANNEL_LABELS, value);
  if (key === 'role') return labelFor(ROLE_LABELS, value);
  if (key === 'method' || key === 'verifiedBy') return METHOD_LABELS[String(value)] ?? humanizeKey(String(value));
  return String(value);
}

const METHOD_LABELS: Record<string, string> = {
  pin: 'PIN from the office',
  code: 'Security code',
  security_question: 'Security question',
};

/**
 * A chart phone (E.164) as the practice writes it: `+19715550158` -> `(971) 555-0158` for the
 * North American numbers the practices use; anything else is shown as stored.
 */
export function formatPhone(e164: string | null | undefined): string {
  if (!e164) return '—';
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : e164;
}
