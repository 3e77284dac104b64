/**
 * Types and enumerations shared by the API and the console. The values are part of the
 * product contract: clients and stored rows depend on them.
 */

export const STAFF_ROLES = ['front_desk', 'practice_admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** `link_locked`: no account, and the newest registration link was locked by five wrong tries. */
export const PORTAL_STATUSES = ['active', 'locked', 'invited', 'link_locked', 'none'] as const;
export type PortalStatus = (typeof PORTAL_STATUSES)[number];

export const PORTAL_ACCOUNT_STATUSES = ['active', 'locked', 'closed'] as const;
export type PortalAccountStatus = (typeof PORTAL_ACCOUNT_STATUSES)[number];

export const INVITATION_STATUSES = ['pending', 'used', 'revoked', 'expired', 'locked'] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const OUTBOX_STATUSES = ['queued', 'sending', 'sent', 'retrying', 'dead', 'cancelled'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** `backchannel_logout`: an OpenID Back-Channel Logout token POSTed to a portal app. */
export const MESSAGE_CHANNELS = ['email', 'sms', 'voice', 'backchannel_logout'] as const;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];

export const RESET_REASONS = ['forgot_credentials', 'cannot_receive_code', 'account_locked', 'suspected_compromise', 'patient_request', 'other'] as const;
export type ResetReason = (typeof RESET_REASONS)[number];

export const IDENTITY_VERIFICATION_METHODS = ['in_person_photo_id', 'phone_dob_and_address', 'callback_to_chart_phone', 'other'] as const;
export type IdentityVerificationMethod = (typeof IDENTITY_VERIFICATION_METHODS)[number];

export const CLINICAL_ENTRY_KINDS = ['allergy', 'medication', 'problem', 'encounter'] as const;
export type ClinicalEntryKind = (typeof CLINICAL_ENTRY_KINDS)[number];

export const LOCK_REASONS = ['too_many_login_failures', 'too_many_recovery_failures', 'staff_action'] as const;
export type LockReason = (typeof LOCK_REASONS)[number];

/** Every audit action the product writes. */
export const AUDIT_ACTIONS = [
  'staff.login',
  'staff.login_failed',
  'staff.logout',
  'staff.created',
  'staff.updated',
  'staff.unlocked',
  'staff.mfa_enrolled',
  'staff.mfa_recovery_code_used',
  'staff.mfa_reset',
  'staff.passkey_added',
  'staff.passkey_removed',
  'patient.viewed',
  'portal.reset',
  'portal.unlocked',
  'portal.registered',
  'portal.locked',
  'invitation.created',
  'invitation.resent',
  'invitation.verified',
  'invitation.verify_failed',
  'invitation.locked',
  'invitation.code_sent',
  'email.sent',
  'email.failed',
  'email.retried',
  'portal.login',
  'portal.login_failed',
  'portal.logout',
  'password_reset.requested',
  'password_reset.code_sent',
  'password_reset.verified',
  'password_reset.verify_failed',
  'password_reset.completed',
  'username.reminder_requested',
  'practice.settings_updated',
  'patient.contact_changed',
  'audit.exported',
  'portal_app.created',
  'portal_app.updated',
  'portal_app.deleted',
  'portal.sessions_ended',
  'chart.imported',
  'chart.contact_changed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type AuditActorType = 'staff' | 'patient' | 'system';

/** The one error body every API route answers with. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  /** Machine-readable: validation_failed, not_found, conflict, forbidden, internal_error, database_unavailable, ... */
  code: string;
  /** Field name to message; present only on validation failures (422). */
  errors?: Record<string, string>;
  /** Present on 500s so a support person can find the log line. */
  requestId?: string;
}

export const STAFF_MFA_SETTINGS = ['required', 'optional'] as const;
export type StaffMfaSetting = (typeof STAFF_MFA_SETTINGS)[number];

/** Second-step methods of a pending staff sign-in. */
export const STAFF_MFA_METHODS = ['totp', 'webauthn', 'recovery_code'] as const;
export type StaffMfaMethod = (typeof STAFF_MFA_METHODS)[number];

/** POST /api/auth/login when a second step is due: no session yet, only a pending sign-in. */
export interface MfaRequiredView {
  mfaRequired: true;
  /** The factors this person has; empty when the practice requires one and they must enrol first. */
  methods: StaffMfaMethod[];
  enrolmentRequired: boolean;
}

export interface TotpEnrolmentView {
  otpauthUrl: string;
  qrSvg: string;
  /** The same secret as text, for apps that cannot scan. */
  secret: string;
}

export interface StaffMfaStatusView {
  totp: boolean;
  passkeys: { id: string; name: string; createdAt: string; lastUsedAt: string | null }[];
  recoveryCodesLeft: number;
  practiceRequires: boolean;
}

export interface StaffUserView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  practiceId: string;
  practiceName: string;
}

export interface PatientListItem {
  id: string;
  mrn: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string | null;
  phone: string | null;
  portalStatus: PortalStatus;
  portalUsername: string | null;
  lastLoginAt: string | null;
  /** False when the EHR marks the chart inactive or the patient deceased. */
  active: boolean;
  inactiveReason: 'inactive' | 'deceased' | null;
  /** When an import last changed the chart's email or phone (ISO), or null. */
  contactChangedAt: string | null;
}

export interface PortalAccountView {
  id: string;
  username: string;
  status: PortalAccountStatus;
  lockReason: string | null;
  lockedAt: string | null;
  /** When a lock for failed sign-ins ends by itself; null while active, or locked until staff unlock. */
  lockedUntil: string | null;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface InvitationView {
  id: string;
  sentTo: string;
  expiresAt: string;
  status: InvitationStatus;
  emailStatus: OutboxStatus | null;
}

export interface PatientDetail extends PatientListItem {
  sex: string;
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  state: string | null;
  postalCode: string | null;
  portalAccount: PortalAccountView | null;
  invitation: InvitationView | null;
  chartChecksum: string;
  /** The contact change is within CONTACT_CHANGE_WARNING_DAYS: the reset dialog warns. */
  contactChangedRecently: boolean;
  /** What the desk may do now, from the same rules the actions enforce. */
  availableActions: AvailablePortalActions;
  /** How long a registration link stays valid. */
  invitationTtlHours: number;
}

export interface PortalActionAvailability {
  allowed: boolean;
  /** A sentence for staff when not allowed; null when allowed. */
  reason: string | null;
}

export interface AvailablePortalActions {
  reset: PortalActionAvailability;
  resend: PortalActionAvailability;
  unlock: PortalActionAvailability;
  endSessions: PortalActionAvailability;
}

export interface IssuedInvitation {
  id: string;
  sentTo: string;
  expiresAt: string;
  pin: string;
}

export interface PortalResetResult {
  auditEventId: string;
  retiredUsername: string | null;
  invitation: IssuedInvitation;
  chartChecksumBefore: string;
  chartChecksumAfter: string;
}

export interface AuditEventView {
  id: string;
  practiceId: string;
  action: AuditAction;
  actorType: AuditActorType;
  actorId: string | null;
  actorName: string | null;
  patientId: string | null;
  /** The patient's name and MRN as the chart has them now (null when the event names no patient). */
  patientName: string | null;
  patientMrn: string | null;
  reason: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  hash: string;
  prevHash: string | null;
}

/** A staff member as practice admins manage them (GET/POST/PUT /api/staff). */
export interface StaffMemberView {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  active: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

/** GET /api/audit-events/verify: the outcome of recomputing the practice's hash chain. */
export interface AuditChainVerification {
  valid: boolean;
  checked: number;
  firstBrokenId: string | null;
}

/** GET /api/audit-events/checkpoint: `signature` is a compact JWS (EdDSA) over the other four fields. */
export interface AuditCheckpoint {
  practiceId: string;
  seq: number;
  hash: string | null;
  signedAt: string;
  signature: string;
}

/** POST /api/audit-events/checkpoint/verify */
export interface AuditCheckpointVerification {
  valid: boolean;
  signatureValid: boolean;
  extendsCheckpoint: boolean;
  checked: number;
  firstBrokenId: string | null;
}

/** GET /api/dashboard: what needs the front desk's attention, for the signed-in user's practice. */
export interface DashboardCounts {
  lockedAccounts: number;
  pendingInvitations: number;
  expiringInvitations: number;
  /** Patients whose newest registration link was locked by wrong tries (portal status link_locked). */
  lockedLinks: number;
  resetsToday: number;
  messagesRetrying: number;
  messagesDead: number;
}

/** An outbox message as the admin email API (GET /api/emails) answers it. */
export interface OutboxMessageView {
  id: string;
  channel: MessageChannel;
  template: string;
  /** Email address, or E.164 phone number for text and voice. */
  to: string;
  subject: string | null;
  status: OutboxStatus;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  /** When the next delivery attempt is due; null once sent, dead or being sent. */
  nextAttemptAt: string | null;
  sentAt: string | null;
  createdAt: string;
  patientId: string | null;
}

/** GET /api/emails/:id/preview: the rendered message with its link token or code replaced by a placeholder. */
export interface MessagePreview {
  subject: string | null;
  text: string | null;
  html: string | null;
}

/** A message delivered to the development mailbox (GET /api/dev-mailbox), links intact. */
export interface DevMailboxMessage {
  id: string;
  channel: MessageChannel;
  to: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  createdAt: string;
}

/** `GET/PUT /api/practice`: the signed-in staff user's practice and its patient-facing settings. */
export interface PracticeSettingsView {
  id: string;
  name: string;
  phone: string;
  timeZone: string;
  /** Registration asks for a security question and recovery offers it (NIST 800-63B advises against). */
  allowSecurityQuestions: boolean;
  /** Staff two-step sign-in: `required` for everyone, or `optional` (those who enrolled a factor). */
  staffMfa: StaffMfaSetting;
}
