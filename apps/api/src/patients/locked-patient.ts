import { Sql } from '../database/sql';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { Patient } from './patient.entity';

/** A patient's row under the transaction's lock, with the portal state every desk action decides on. */
export interface LockedPatient {
  patient: Patient;
  /** The non-closed (active or locked) portal account; there is at most one. */
  openAccount: PortalAccount | null;
  /** The pending invitation, expired or not; there is at most one. */
  pendingInvitation: RegistrationInvitation | null;
  pendingPasswordResets: number;
}

/**
 * One round trip: the patient of this practice, locked, with its open account, pending invitation
 * and count of pending password-reset links (the joined rows are locked too, so they cannot change
 * under the action). The unique open/pending markers make it one row at most.
 */
export async function lockPatient(sql: Sql, practiceId: string, patientId: string): Promise<LockedPatient | null> {
  const [row] = await sql.rows(
    `SELECT ${sql.columns(Patient, 'p')}, ${sql.columns(PortalAccount, 'a')}, ${sql.columns(RegistrationInvitation, 'i')},
       (SELECT COUNT(*) FROM password_reset_requests r WHERE r.patientId = p.id AND r.status = 'pending') AS pendingPasswordResets
     FROM patients p
     LEFT JOIN portal_accounts a ON a.patientId = p.id AND a.openMarker = 1
     LEFT JOIN registration_invitations i ON i.patientId = p.id AND i.pendingMarker = 1
     WHERE p.practiceId = ? AND p.id = ?${sql.forUpdate}`,
    [practiceId, patientId],
  );
  if (!row) return null;
  return {
    patient: sql.hydrate(Patient, row, 'p'),
    openAccount: row.a_id ? sql.hydrate(PortalAccount, row, 'a') : null,
    pendingInvitation: row.i_id ? sql.hydrate(RegistrationInvitation, row, 'i') : null,
    pendingPasswordResets: Number(row.pendingPasswordResets),
  };
}
