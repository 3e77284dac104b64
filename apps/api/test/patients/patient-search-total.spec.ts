import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { Patient } from '../../src/patients/patient.entity';
import { indexedPatientSearch, searchCondition } from '../../src/patients/patient-search';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

interface FixturePatient {
  mrn: string;
  firstName: string;
  lastName: string;
  email: string | null;
  phoneDigits: string | null;
}

/**
 * Patients chosen to overlap: one patient can match the search through several of its fields
 * (last name, first name, email, MRN, phone, both names typed together) and must still count once.
 */
const OVERLAPPING: FixturePatient[] = [
  { mrn: 'T-001', firstName: 'Quilla', lastName: 'Quillan', email: 'quilla.quillan@example.com', phoneDigits: '15035550101' },
  { mrn: 'T-002', firstName: 'Quilla', lastName: 'Zeller', email: null, phoneDigits: null },
  { mrn: 'T-003', firstName: 'Bo', lastName: 'Quillon', email: null, phoneDigits: '15035550102' },
  { mrn: 'T-004', firstName: 'Bo', lastName: 'Yates', email: 'quill@example.org', phoneDigits: null },
  { mrn: 'T-005', firstName: 'QUILLAN', lastName: 'Xu', email: 'QUILL.xu@example.net', phoneDigits: '15035550103' },
  { mrn: 'T-006', firstName: 'Zeller', lastName: 'Quilla', email: 'zq@example.com', phoneDigits: null },
  { mrn: 'T-007', firstName: 'Ann', lastName: 'Zeller-Quill', email: 'ann.zq@example.com', phoneDigits: null },
  // The MRN and the phone digits typed as the same string, on one patient and on two others.
  { mrn: '5035550104', firstName: 'Cy', lastName: 'Vance', email: null, phoneDigits: '15035550104' },
  { mrn: 'T-009', firstName: 'Di', lastName: 'Vance', email: null, phoneDigits: '5035550104' },
  { mrn: 'T-010', firstName: 'Ed', lastName: 'Vance', email: 'ed@example.com', phoneDigits: '15035550104' },
  // LIKE's wildcards are literal characters in a search.
  { mrn: 'T-011', firstName: 'Fay', lastName: 'Under', email: 'a_b@example.com', phoneDigits: null },
  { mrn: 'T-012', firstName: 'Gus', lastName: 'Under', email: 'axb@example.com', phoneDigits: null },
  { mrn: 'T-013', firstName: 'Hal', lastName: 'Pct', email: '100%sure@example.com', phoneDigits: null },
  { mrn: 'T-014', firstName: 'Ida', lastName: 'Pct', email: '1000@example.com', phoneDigits: null },
];

/**
 * Searches and what they exercise. A query that is also an MRN, a phone, two words and a prefix
 * runs every kind of term at once.
 */
const QUERIES = [
  'quill', // last, first and email prefixes on one patient; NULL emails that match by name
  'Quilla', // the same, case differing from the stored names
  'QUILLAN', // a first name that is another patient's last name
  'zeller', // the last name of one, the first name of another
  'Quilla Zeller', // "first last" and "last first", plus the last name alone
  'Zeller, Quilla', // "last, first"
  'Zeller Quill', // a two-word last name ("Zeller-Quill" does not match: the hyphen is not a space)
  'Bo Q', // "first last" with a one-letter last-name prefix
  'T-003', // the MRN, exactly
  't-003', // the MRN in another case
  '5035550104', // an MRN, two phones stored with the country code and one without
  '(503) 555-0104', // the same phone typed with punctuation
  '+15035550102', // a phone on a patient without an email
  '15035550101', // a phone on a patient who also matches by name for other queries
  'a_b', // LIKE's underscore, literally
  '100%', // LIKE's percent, literally
  'Vance', // several patients with the same last name
  'nobody-matches-this', // nothing
];

/** What the search box means, written out plainly: any of these makes a patient a match. */
function matches(patient: FixturePatient, q: string): boolean {
  const startsWith = (value: string | null, prefix: string) => value !== null && value.toLowerCase().startsWith(prefix.toLowerCase());
  if (startsWith(patient.lastName, q) || startsWith(patient.firstName, q) || startsWith(patient.email, q)) return true;
  if (patient.mrn.toLowerCase() === q.toLowerCase()) return true;
  const digits = q.replace(/\D/g, '');
  if (digits.length >= 7 && /^[\d\s()+.-]+$/.test(q)) {
    const candidates = digits.length === 10 ? [digits, `1${digits}`] : [digits];
    if (patient.phoneDigits !== null && candidates.includes(patient.phoneDigits)) return true;
  }
  const words = q.split(/[\s,]+/).filter(Boolean);
  if (words.length === 2) {
    const [a, b] = words as [string, string];
    if (startsWith(patient.firstName, a) && startsWith(patient.lastName, b)) return true;
    if (startsWith(patient.lastName, a) && startsWith(patient.firstName, b)) return true;
  }
  return false;
}

async function insertPatients(dataSource: DataSource, practiceId: string, patients: FixturePatient[]): Promise<void> {
  const stamp = '2026-01-15 09:00:00.000';
  for (const p of patients) {
    await dataSource.query(
      'INSERT INTO patients (id, practiceId, mrn, firstName, lastName, dateOfBirth, sex, email, phone, phoneDigits, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [
        randomUUID(),
        practiceId,
        p.mrn,
        p.firstName,
        p.lastName,
        '1980-01-01',
        'female',
        p.email,
        p.phoneDigits && `+${p.phoneDigits}`,
        p.phoneDigits,
        stamp,
        stamp,
      ],
    );
  }
}

async function practicePatients(dataSource: DataSource, practiceId: string): Promise<(FixturePatient & { id: string })[]> {
  return dataSource.query('SELECT id, mrn, firstName, lastName, email, phoneDigits FROM patients WHERE practiceId = ?', [practiceId]);
}

const collator = new Intl.Collator('en', { sensitivity: 'base' });
const byName = (a: { lastName: string; firstName: string; id: string }, b: { lastName: string; firstName: string; id: string }) =>
  collator.compare(a.lastName, b.lastName) || collator.compare(a.firstName, b.firstName) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

describe('the search total on MariaDB/MySQL counts each matching patient once', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  let maple: (FixturePatient & { id: string })[];

  before(async () => {
    t = await startTestApp({ seedPatients: 12, label: 'fdnsearchtotal' });
    await insertPatients(t.dataSource, MAPLE_GROVE_ID, OVERLAPPING);
    // The other practice holds the same names, MRNs and phones: none of them may be counted.
    await insertPatients(t.dataSource, RIVERSIDE_ID, OVERLAPPING);
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    maple = await practicePatients(t.dataSource, MAPLE_GROVE_ID);
  });
  after(async () => t?.close());

  it('the fixture really overlaps: one patient matches "quill" by last name, first name and email at once', () => {
    const quilla = maple.find((p) => p.mrn === 'T-001')!;
    assert.ok(quilla.lastName.toLowerCase().startsWith('quill') && quilla.firstName.toLowerCase().startsWith('quill') && quilla.email!.startsWith('quill'));
  });

  for (const q of QUERIES) {
    it(`q=${JSON.stringify(q)}: Content-Range total and the pages equal a brute-force match over the practice`, async () => {
      const expected = maple.filter((p) => matches(p, q)).sort(byName);
      const response = await desk.get('/api/patients').query({ filter: JSON.stringify({ q }), range: '[0,499]', sort: '["lastName","ASC"]' });
      assert.equal(response.status, 200);
      const total = Number(/\/(\d+)$/.exec(response.headers['content-range'] ?? '')?.[1]);
      assert.equal(total, expected.length, `total for ${q}: expected ${expected.map((p) => p.mrn).join(', ') || 'nobody'}`);
      assert.deepEqual(
        (response.body as { id: string }[]).map((p) => p.id),
        expected.map((p) => p.id),
        'every match, once each, in name order',
      );
    });
  }

  it('the total does not depend on the page asked for, and small pages add up to the whole list', async () => {
    const q = 'quill';
    const expected = maple.filter((p) => matches(p, q)).sort(byName);
    const seen: string[] = [];
    for (let start = 0; start < expected.length; start += 2) {
      const found = await indexedPatientSearch(t.dataSource.manager, MAPLE_GROVE_ID, q, { offset: start, limit: 2, order: 'ASC' });
      assert.equal(found.total, expected.length, `page starting at ${start}`);
      seen.push(...found.ids);
    }
    assert.deepEqual(
      seen,
      expected.map((p) => p.id),
    );
  });

  it('descending name order reverses the names and keeps the total', async () => {
    const q = 'Vance';
    const expected = maple.filter((p) => matches(p, q));
    const found = await indexedPatientSearch(t.dataSource.manager, MAPLE_GROVE_ID, q, { offset: 0, limit: 25, order: 'DESC' });
    assert.equal(found.total, expected.length);
    const names = found.ids.map((id) => maple.find((p) => p.id === id)!.firstName);
    assert.deepEqual(names, ['Ed', 'Di', 'Cy']);
  });

  it('equals the brute-force count for every 1- to 3-letter prefix of the seeded demo names', async () => {
    const prefixes = new Set(
      maple.flatMap((p) => [1, 2, 3].flatMap((n) => [p.lastName.slice(0, n), p.firstName.slice(0, n), (p.email ?? '').slice(0, n)])).filter(Boolean),
    );
    for (const q of prefixes) {
      const found = await indexedPatientSearch(t.dataSource.manager, MAPLE_GROVE_ID, q, { offset: 0, limit: 25, order: 'ASC' });
      assert.equal(found.total, maple.filter((p) => matches(p, q)).length, `total for ${JSON.stringify(q)}`);
    }
  });
});

describe('the search total on SQLite (the embedded default) agrees with the same brute force', () => {
  let dataSource: DataSource;
  let dir: string;
  let practiceId: string;
  let patients: (FixturePatient & { id: string })[];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'resetdesk-search-total-'));
    dataSource = await new DataSource(buildDataSourceOptions({ type: 'sqlite', path: join(dir, 'resetdesk.sqlite') })).initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    practiceId = randomUUID();
    await insertPatients(dataSource, practiceId, OVERLAPPING);
    await insertPatients(dataSource, randomUUID(), OVERLAPPING);
    patients = await practicePatients(dataSource, practiceId);
  });
  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // SQLite compares the MRN case-sensitively (MySQL's collation does not): the other case is left out.
  for (const q of QUERIES.filter((query) => query !== 't-003')) {
    it(`q=${JSON.stringify(q)}: the count equals a brute-force match over the practice`, async () => {
      const count = await dataSource
        .createQueryBuilder(Patient, 'p')
        .where('p.practiceId = :practiceId', { practiceId })
        .andWhere(searchCondition(q))
        .getCount();
      assert.equal(count, patients.filter((p) => matches(p, q)).length);
    });
  }
});
