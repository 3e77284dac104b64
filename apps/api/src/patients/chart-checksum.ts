import { EntityManager } from 'typeorm';
import { sha256Hex } from '../common/secrets';
import { Sql } from '../database/sql';
import { ClinicalEntry } from './clinical-entry.entity';
import { Patient } from './patient.entity';

const DEMOGRAPHIC_FIELDS = [
  'id', 'practiceId', 'mrn', 'firstName', 'lastName', 'dateOfBirth', 'sex', 'email', 'phone', 'phoneDigits',
  'addressLine1', 'addressLine2', 'city', 'state', 'postalCode', 'createdAt', 'updatedAt',
] as const;
const ENTRY_FIELDS = ['id', 'practiceId', 'patientId', 'kind', 'code', 'description', 'status', 'recordedOn', 'notes', 'createdAt'] as const;

function canonicalValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  return value ?? null;
}

/**
 * SHA-256 over a canonical serialisation of the chart: every demographic column and every
 * clinical entry, entries ordered by id, fields in a fixed order. Equal before and after a reset
 * proves ResetDesk left the chart alone.
 */
export function chartChecksum(patient: Patient, entries: ClinicalEntry[]): string {
  const demographics = DEMOGRAPHIC_FIELDS.map((field) => canonicalValue(patient[field]));
  const clinical = [...entries]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((entry) => ENTRY_FIELDS.map((field) => canonicalValue(entry[field])));
  return sha256Hex(JSON.stringify({ v: 1, demographics, clinical }));
}

/**
 * The checksum of the chart as stored now. Pass `rereadPatient: false` only with a patient row
 * that was just read under the transaction's lock; otherwise the patient and its entries are read
 * again together, in one round trip.
 */
export async function loadChartChecksum(manager: EntityManager, patient: Patient, options: { rereadPatient?: boolean } = {}): Promise<string> {
  const sql = Sql.on(manager);
  if (options.rereadPatient === false) {
    const entries = await sql.select(ClinicalEntry, 'SELECT * FROM clinical_entries WHERE patientId = ? AND practiceId = ?', [patient.id, patient.practiceId]);
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
