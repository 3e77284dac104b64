import { AuditChainHead, AuditEvent } from '../audit/audit-event.entity';
import { ChartImport, ChartImportIssue } from '../chart-import/chart-import.entity';
import { LoginAttempt } from '../auth/login-attempt.entity';
import { StaffSession } from '../auth/staff-session.entity';
import { IdempotencyKey } from '../common/idempotency-key.entity';
import { FhirSyncState } from '../ehr-sync/fhir-sync-state.entity';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { VerificationCode } from '../invitations/verification-code.entity';
import { OidcPayload } from '../oidc/oidc-payload.entity';
import { PortalSubject } from '../oidc/portal-subject.entity';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { PasswordResetRequest } from '../password-resets/password-reset-request.entity';
import { SignInFailure } from '../patient-auth/sign-in-failure.entity';
import { ClinicalEntry } from '../patients/clinical-entry.entity';
import { Patient } from '../patients/patient.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { PortalApp } from '../portal-apps/portal-app.entity';
import { PortalSession } from '../portal-accounts/portal-session.entity';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from '../staff/staff-user.entity';
import { StaffMfaChallenge } from '../staff-identity/staff-mfa-challenge.entity';
import { StaffMfaFactor } from '../staff-identity/staff-mfa-factor.entity';
import { StaffRecoveryCode } from '../staff-identity/staff-recovery-code.entity';

export const ENTITIES = [
  Practice,
  StaffUser,
  StaffSession,
  LoginAttempt,
  Patient,
  ClinicalEntry,
  PortalAccount,
  PortalSession,
  RegistrationInvitation,
  VerificationCode,
  PasswordResetRequest,
  OutboxMessage,
  IdempotencyKey,
  AuditEvent,
  AuditChainHead,
  OidcPayload,
  PortalSubject,
  PortalApp,
  ChartImport,
  ChartImportIssue,
  FhirSyncState,
  StaffMfaFactor,
  StaffRecoveryCode,
  StaffMfaChallenge,
  SignInFailure,
];
