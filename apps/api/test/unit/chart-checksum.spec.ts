import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chartChecksum } from '../../src/patients/chart-checksum';
import type { ClinicalEntry } from '../../src/patients/clinical-entry.entity';
import type { Patient } from '../../src/patients/patient.entity';

const patient = {
  id: 'p1',
  practiceId: 'pr1',
  mrn: 'MRN-1',
  firstName: 'Ada',
  lastName: 'Lovelace',
  dateOfBirth: '1815-12-10',
  sex: 'female',
  email: 'ada@example.com',
  phone: '+15035550123',
  phoneDigits: '15035550123',
  addressLine1: '1 Main St',
  addressLine2: null,
  city: 'Portland',
  state: 'OR',
  postalCode: '97201',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-02T00:00:00Z'),
} as unknown as Patient;

const entry = (id: string, description: string) =>
  ({
    id,
    practiceId: 'pr1',
    patientId: 'p1',
    kind: 'problem',
    code: 'X1',
    description,
    status: 'active',
    recordedOn: '2026-01-01',
    notes: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
  }) as unknown as ClinicalEntry;

describe('chart checksum', () => {
  it('is a SHA-256 in hex', () => {
    assert.match(chartChecksum(patient, []), /^[0-9a-f]{64}$/);
  });

  it('does not depend on the order the entries were read in', () => {
    const a = entry('e1', 'Asthma');
    const b = entry('e2', 'Hay fever');
    assert.equal(chartChecksum(patient, [a, b]), chartChecksum(patient, [b, a]));
  });

  it('changes when any demographic field or entry changes, or an entry appears', () => {
    const base = chartChecksum(patient, [entry('e1', 'Asthma')]);
    assert.notEqual(chartChecksum({ ...patient, email: 'other@example.com' } as Patient, [entry('e1', 'Asthma')]), base);
    assert.notEqual(chartChecksum({ ...patient, addressLine2: '' } as Patient, [entry('e1', 'Asthma')]), base, 'empty is not missing');
    assert.notEqual(chartChecksum(patient, [entry('e1', 'Asthma, severe')]), base);
    assert.notEqual(chartChecksum(patient, [entry('e1', 'Asthma'), entry('e2', 'Hay fever')]), base);
  });

  it('reads a date and its ISO string as the same value, as MySQL and SQLite return them', () => {
    const asString = { ...patient, createdAt: '2026-01-01T00:00:00.000Z' } as unknown as Patient;
    assert.equal(chartChecksum(asString, []), chartChecksum(patient, []));
  });
});
