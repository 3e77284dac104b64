import type { IdentityVerificationMethod, PortalStatus, ResetReason } from '@resetdesk/contracts';

/**
 * Every audit event the product writes, as a typed union: the compiler checks that each
 * action carries its own details, so the audit log reads the same however an event was caused.
 */
export type AuditEventInput =
  | { action: 'staff.login'; details?: StaffLoginDetails }
  | {
      action: 'staff.login_failed';
      details: {
        email: string;
        why: 'unknown_or_wrong_password' | 'inactive' | 'throttled' | 'mfa_too_many_failures' | 'passkey_rejected' | 'sso_no_role' | 'sso_other_practice';
      };
    }
  | { action: 'staff.mfa_enrolled'; details: { staffUserId: string; factor: 'totp' | 'webauthn' } }
  | { action: 'staff.mfa_recovery_code_used'; details: { staffUserId: string; remaining: number } }
  | { action: 'staff.mfa_reset'; details: { staffUserId: string; email: string; factorsRemoved: number; sessionsEnded: number } }
  | { action: 'staff.passkey_added' | 'staff.passkey_removed'; details: { staffUserId: string; passkeyId: string; name: string } }
  | { action: 'staff.logout'; details?: Record<string, never> }
  | { action: 'staff.created'; details: { staffUserId: string; email: string; role: string } }
  | { action: 'staff.updated'; details: { staffUserId: string; changes: Record<string, { from: unknown; to: unknown }> } }
  | { action: 'staff.unlocked'; details: { staffUserId: string } }
  | { action: 'patient.viewed'; patientId: string; details: { view: 'chart' | 'detail' | 'portal_history' } }
  | {
      action: 'portal.reset';
      patientId: string;
      reason: ResetReason;
      details: {
        identityVerification: IdentityVerificationMethod;
        note: string | null;
        previousStatus: PortalStatus;
        retiredUsername: string | null;
        invitationId: string;
        sentTo: string;
        chartChecksumBefore: string;
        chartChecksumAfter: string;
        revokedInvitations: number;
        revokedPasswordResets: number;
        revokedSessions: number;
        outboxMessageId: string;
        /** When the EHR last changed the chart's email or phone (ISO), or null. */
        contactChangedAt?: string | null;
      };
    }
  | { action: 'portal.unlocked'; patientId: string; details: { portalAccountId: string; username: string; lockReason: string | null } }
  /** A lock for too many failed sign-ins that ran out (recorded at the next sign-in attempt). */
  | {
      action: 'portal.unlocked';
      patientId: string;
      reason: 'lock_expired';
      details: { portalAccountId: string; username: string; lockReason: string | null; lockedUntil: string };
    }
  | {
      action: 'portal.locked';
      patientId: string;
      reason: string;
      /** lockedUntil/lockMinutes: when the lock ends by itself (15 minutes, doubling with each lock within 24 hours). */
      details: { portalAccountId: string; username: string; lockedUntil?: string; lockMinutes?: number };
    }
  | { action: 'portal.registered'; patientId: string; details: { portalAccountId: string; username: string; invitationId: string; verifiedBy: string } }
  | {
      action: 'invitation.created' | 'invitation.resent';
      patientId: string;
      details: { invitationId: string; sentTo: string; expiresAt: string; revokedInvitationIds: string[]; outboxMessageId: string };
    }
  | { action: 'invitation.verified'; patientId: string; details: { invitationId: string; method: 'pin' | 'code' } }
  | { action: 'invitation.verify_failed'; patientId: string; reason: string; details: { invitationId: string; failedAttempts: number } }
  | { action: 'invitation.locked'; patientId: string; details: { invitationId: string; failedAttempts: number } }
  | { action: 'invitation.code_sent'; patientId: string; details: { invitationId: string; channel: string; sentTo: string; outboxMessageId: string } }
  | { action: 'email.sent'; patientId: string | null; details: { outboxMessageId: string; template: string; channel: string; to: string; attempts: number } }
  | {
      action: 'email.failed';
      patientId: string | null;
      details: { outboxMessageId: string; template: string; channel: string; to: string; attempts: number; error: string; dead: boolean };
    }
  | { action: 'email.retried'; patientId: string | null; details: { outboxMessageId: string } }
  | { action: 'portal.login'; patientId: string; details: { portalAccountId: string; username: string; portalSessionId: string | null; via: 'login' | 'oidc' } }
  | {
      action: 'portal.login_failed';
      patientId: string;
      /** wrong_password counts towards the lock; account_locked is the right password on a locked account. */
      reason: 'wrong_password' | 'account_locked';
      details: { portalAccountId: string; username: string; failedLoginCount: number; lockReason: string | null };
    }
  | { action: 'portal.logout'; patientId: string; details: { portalAccountId: string; portalSessionId: string } }
  | {
      action: 'password_reset.requested';
      patientId: string;
      /** link_sent, or why no link went out (the patient sees the same page either way). */
      reason: 'link_sent' | 'no_chart_email' | 'account_locked' | 'throttled';
      details: {
        portalAccountId: string;
        username: string;
        passwordResetId: string | null;
        sentTo: string | null;
        expiresAt: string | null;
        revokedPasswordResets: number;
        outboxMessageId: string | null;
      };
    }
  | { action: 'password_reset.code_sent'; patientId: string; details: { passwordResetId: string; channel: string; sentTo: string; outboxMessageId: string } }
  | { action: 'password_reset.verified'; patientId: string; details: { passwordResetId: string; method: 'security_question' | 'code' } }
  | {
      action: 'password_reset.verify_failed';
      patientId: string;
      reason: 'date_of_birth_mismatch' | 'security_answer_mismatch' | 'phone_mismatch' | 'code_mismatch' | 'code_expired';
      details: { passwordResetId: string; failedAttempts: number };
    }
  | {
      action: 'password_reset.completed';
      patientId: string;
      details: {
        passwordResetId: string;
        portalAccountId: string;
        username: string;
        method: 'security_question' | 'code';
        revokedSessions: number;
        clearedLockReason: string | null;
        outboxMessageId: string | null;
      };
    }
  | {
      action: 'username.reminder_requested';
      patientId: string;
      reason: 'sent' | 'throttled';
      details: { sentTo: string; outboxMessageId: string | null };
    }
  | { action: 'practice.settings_updated'; details: { changes: Record<string, { from: unknown; to: unknown }> } }
  | { action: 'patient.contact_changed'; patientId: string; details: { field: 'email' | 'phone'; from: string | null; to: string | null } }
  | { action: 'audit.exported'; details: { filter: Record<string, unknown> } }
  | {
      action: 'portal_app.created';
      details: { portalAppId: string; name: string; clientId: string; confidential: boolean; redirectUris: string[]; backchannelLogoutUri: string | null };
    }
  | { action: 'portal_app.updated'; details: { portalAppId: string; clientId: string; changes: Record<string, { from: unknown; to: unknown }> } }
  | { action: 'portal_app.deleted'; details: { portalAppId: string; name: string; clientId: string } }
  | {
      action: 'portal.sessions_ended';
      patientId: string;
      /** What ended them: a staff reset, a lock, a recovery password change, or staff's End portal sessions. */
      reason: 'reset' | 'lock' | 'recovery' | 'staff';
      details: {
        trigger: 'reset' | 'lock' | 'recovery' | 'staff';
        portalAccountId: string;
        revokedPortalSessions: number;
        revokedOidcRecords: number;
        /** Apps the account was signed in to; each with a back-channel logout URI gets a logout token. */
        appsNotified: { clientId: string; name: string; outboxMessageId: string }[];
        appsSignedIn: string[];
      };
    }
  | {
      action: 'chart.imported';
      details: {
        source: 'upload' | 'cli' | 'sync';
        fileName: string;
        importId: string;
        counts: { patientsCreated: number; patientsUpdated: number; patientsUnchanged: number; entries: number; skipped: number; rejected: number };
      };
    }
  | { action: 'chart.contact_changed'; patientId: string; details: { field: 'email' | 'phone'; before: string; after: string; importId: string } };

export interface AuditActor {
  type: 'staff' | 'patient' | 'system';
  id: string | null;
  name: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, name: 'ResetDesk' };

/** How a staff sign-in was completed: the first step, and the second when there was one. */
export interface StaffLoginDetails {
  method: 'password' | 'sso';
  secondFactor?: 'totp' | 'webauthn' | 'recovery_code' | 'sso_amr';
}
