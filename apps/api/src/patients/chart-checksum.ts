import { sha256Hex } from '../common/secrets';
import { ClinicalEntry } from './clinical-entry.entity';
import { Patient } from './patient.entity';

const DEMOGRAPHIC_FIELDS = [
  'id',
  'practiceId',
  'mrn',
  'firstName',
  'lastName',
  'dateOfBirth',
  'sex',
  'email',
  'phone',
  'phoneDigits',
  'addressLine1',
  'addressLine2',
  'city',
  'state',
  'postalCode',
  'createdAt',
  'updatedAt',
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
