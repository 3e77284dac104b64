import type { EntityManager } from 'typeorm';
import { Sql } from '../database/sql';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { chartChecksum } from './chart-checksum';
import { ClinicalEntry } from './clinical-entry.entity';
import { Patient } from './patient.entity';

/**
 * A patient's row held under the transaction's row lock (`SELECT … FOR UPDATE`), with the portal
 * state every desk action decides on. ("Locked" is an account status here, hence "held".)
 */
export interface HeldPatient {
  patient: Patient;
  /** The non-closed (active or locked) portal account; there is at most one. */
  openAccount: PortalAccount | null;
  /** The pending invitation, expired or not; there is at most one. */
  pendingInvitation: RegistrationInvitation | null;
  pendingPasswordResets: number;
}

/**
 * The SQL of the `patients` and `clinical_entries` tables. ResetDesk never writes a chart (whatever
 * feeds the charts does); it holds a patient's row for the length of a desk action and reads charts.
 */
export class PatientsRepository {
  private constructor(private readonly sql: Sql) {}

  static on(manager: EntityManager): PatientsRepository {
    return new PatientsRepository(Sql.on(manager));
  }

  /**
   * One round trip: the patient of this practice, held, with its open account, pending invitation
   * and count of pending password-reset links (the joined rows are held too, so they cannot change
   * under the action). The unique open/pending markers make it one row at most.
   */
  async holdForDeskAction(practiceId: string, patientId: string): Promise<HeldPatient | null> {
    const sql = this.sql;
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

  /**
   * The checksum of the chart as stored now. Pass `rereadPatient: false` only with a patient row
   * that was just read under the transaction's lock; otherwise the patient and its entries are read
   * again together, in one round trip.
   */
  async chartChecksum(patient: Patient, options: { rereadPatient?: boolean } = {}): Promise<string> {
    const sql = this.sql;
    if (options.rereadPatient === false) {
      const entries = await sql.select(ClinicalEntry, 'SELECT * FROM clinical_entries WHERE patientId = ? AND practiceId = ?', [
        patient.id,
        patient.practiceId,
      ]);
      return chartChecksum(patient, entries);
    }
    const rows = await sql.rows(
      `SELECT ${sql.columns(Patient, 'p')}, ${sql.columns(ClinicalEntry, 'e')}
       FROM patients p LEFT JOIN clinical_entries e ON e.patientId = p.id AND e.practiceId = p.practiceId
       WHERE p.id = ? AND p.practiceId = ?`,
      [patient.id, patient.practiceId],
    );
    // A chart that vanished mid-transaction is a changed chart: an empty checksum never matches.
    if (!rows.length) return '';
    const entries = rows.filter((row) => row.e_id !== null && row.e_id !== undefined).map((row) => sql.hydrate(ClinicalEntry, row, 'e'));
    return chartChecksum(sql.hydrate(Patient, rows[0]!, 'p'), entries);
  }
}
