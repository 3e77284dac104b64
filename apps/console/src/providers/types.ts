/**
 * Shapes the console works with: the shared contracts (libs/contracts), narrowed to what
 * react-admin needs (`id: string`), plus console-only request/response shapes that the
 * contracts do not describe (chart, portal history). They follow the product contract.
 */
import type {
  AuditChainVerification,
  AuditCheckpoint,
  AuditEventView,
  ClinicalEntryKind,
  IdentityVerificationMethod,
  DashboardCounts,
  DevMailboxMessage,
  InvitationView,
  MessagePreview,
  OutboxMessageView,
  PatientDetail,
  PatientListItem,
  PortalAccountView,
  ResetReason,
  StaffMemberView,
  StaffUserView,
} from '@resetdesk/contracts';

export type { AuditCheckpoint, DashboardCounts, DevMailboxMessage, AuditChainVerification as AuditVerifyResult, MessagePreview as EmailPreview };
export type OutboxMessage = OutboxMessageView & { id: string };
export type StaffMember = StaffMemberView & { id: string };

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

export interface CsvDownload {
  blob: Blob;
  filename: string;
}
