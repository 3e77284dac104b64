/**
 * Response shapes of console-only API routes that libs/contracts does not (yet) describe.
 * They follow shared/spec/product.md and the console brief.
 */
import type {
  AuditEventView,
  ClinicalEntryKind,
  IdentityVerificationMethod,
  InvitationView,
  MessageChannel,
  OutboxStatus,
  PatientDetail,
  PatientListItem,
  PortalAccountView,
  ResetReason,
  StaffRole,
  StaffUserView,
} from '@resetdesk/contracts';

/** The signed-in staff user; `timeZone` (IANA name) may be added by the API later. */
export interface StaffUser extends StaffUserView {
  timeZone?: string;
}

export type Patient = PatientListItem & { id: string };
export type PatientRecord = PatientDetail & { id: string };

export interface ResetPortalAccountInput {
  reason: ResetReason;
  identityVerification: IdentityVerificationMethod;
  note?: string;
}

export interface ChartEntry {
  id: string;
  kind: ClinicalEntryKind | string;
  code: string | null;
  description: string;
  status: string | null;
  recordedOn: string | null;
  notes: string | null;
}

export interface PatientChart {
  allergies: ChartEntry[];
  medications: ChartEntry[];
  problems: ChartEntry[];
  encounters: ChartEntry[];
}

export type HistoryInvitation = InvitationView & { createdAt: string };

export interface PortalHistory {
  accounts: PortalAccountView[];
  invitations: HistoryInvitation[];
  events: AuditEventView[];
}

export interface DashboardCounts {
  lockedAccounts: number;
  pendingInvitations: number;
  expiringInvitations: number;
  resetsToday: number;
  messagesRetrying: number;
  messagesDead: number;
}

export interface AuditVerifyResult {
  valid: boolean;
  checked: number;
  firstBrokenId: string | null;
}

export interface OutboxMessage {
  id: string;
  channel: MessageChannel;
  template: string;
  to: string;
  subject: string | null;
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  sentAt: string | null;
  createdAt: string;
  patientId: string | null;
}

export interface EmailPreview {
  subject: string | null;
  text: string | null;
  html: string | null;
}

export interface DevMailboxMessage {
  id: string;
  channel: MessageChannel;
  to: string;
  subject: string | null;
  text: string | null;
  html: string | null;
  createdAt: string;
}

export interface StaffMember {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  active: boolean;
  lastLoginAt: string | null;
  createdAt: string;
}

export interface CsvDownload {
  blob: Blob;
  filename: string;
}
