import 'reflect-metadata';
import * as argon2 from 'argon2';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { PORTAL_STATUSES } from '@resetdesk/contracts';
import { parseDatabaseUrl } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/data-source-options';
import { Patient } from '../../src/patients/patient.entity';
import { joinPortalState, portalStatusCondition } from '../../src/patients/portal-status';
import { DEMO_LOGINS, DEMO_PASSWORD, DEMO_PATIENTS_PER_PRACTICE, seedDemo, seedDemoIfEmpty } from '../../src/seed/demo-seed';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/staff-fixtures';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { mysqlSkip } from '../support/test-env';

const SEED_NOW = new Date('2026-03-10T15:45:00.000Z');
const COMPARED_TABLES = ['practices', 'staff_users', 'patients', 'clinical_entries', 'portal_accounts', 'registration_invitations', 'audit_chain_heads'];
const PRACTICES = [
  { id: MAPLE_GROVE_ID, name: 'Maple Grove Family Medicine', slug: 'maple-grove' },
  { id: RIVERSIDE_ID, name: 'Riverside Pediatrics', slug: 'riverside' },
];

/** The demo data is what every demo, screenshot and test starts from: it must be the same everywhere. */
describe('demo seed', { skip: mysqlSkip }, () => {
  const databases: TestDatabase[] = [];
  const sources: DataSource[] = [];
  let first: DataSource;

  const open = async (label: string) => {
    const db = await createTestDatabase(label);
    databases.push(db);
    const dataSource = await new DataSource(buildDataSourceOptions(parseDatabaseUrl(db.url))).initialize();
    sources.push(dataSource);
    await dataSource.runMigrations({ transaction: 'each' });
    return dataSource;
  };

  before(async () => {
    const [a, b] = await Promise.all([open('fdnseeda'), open('fdnseedb')]);
    await seedDemo(a, { now: SEED_NOW });
    await seedDemo(b, { now: SEED_NOW });
    first = a;
  });
  after(async () => {
    for (const source of sources) if (source.isInitialized) await source.destroy();
    for (const db of databases) await db.drop();
  });

  it('seeds identical rows into two fresh databases for the same "now"', async () => {
    const [a, b] = sources;
    for (const table of COMPARED_TABLES) {
      const order = table === 'audit_chain_heads' ? 'practiceId' : 'id';
      const [rowsA, rowsB] = await Promise.all([a!.query(`SELECT * FROM ${table} ORDER BY ${order}`), b!.query(`SELECT * FROM ${table} ORDER BY ${order}`)]);
      assert.ok(rowsA.length > 0, `${table} has rows`);
      assert.equal(rowsA.length, rowsB.length, `${table} row count`);
      assert.deepEqual(rowsA, rowsB, `${table} differs between two seeds`);
    }
  });

  it(`loads at least 200 patients per practice (${DEMO_PATIENTS_PER_PRACTICE} by default), each with a chart`, async () => {
    const counts = await first.query('SELECT practiceId, COUNT(*) AS n FROM patients GROUP BY practiceId');
    assert.equal(counts.length, 2);
    for (const row of counts) assert.equal(Number(row.n), DEMO_PATIENTS_PER_PRACTICE);
    assert.ok(DEMO_PATIENTS_PER_PRACTICE >= 200);
    const [withoutChart] = await first.query(
      'SELECT COUNT(*) AS n FROM patients p WHERE NOT EXISTS (SELECT 1 FROM clinical_entries e WHERE e.patientId = p.id)',
    );
    assert.equal(Number(withoutChart.n), 0, 'every patient has clinical entries');
    const [mismatched] = await first.query(
      'SELECT COUNT(*) AS n FROM clinical_entries e JOIN patients p ON p.id = e.patientId WHERE p.practiceId <> e.practiceId',
    );
    assert.equal(Number(mismatched.n), 0, 'clinical entries belong to their patient’s practice');
  });

  it('names the two demo practices', async () => {
    const rows = await first.query('SELECT id, name, slug FROM practices ORDER BY slug');
    assert.deepEqual(rows, PRACTICES);
  });

  it('represents every portal status in each practice, plus closed accounts for history', async () => {
    for (const practice of PRACTICES) {
      for (const status of PORTAL_STATUSES) {
        const qb = first.createQueryBuilder(Patient, 'p').where('p.practiceId = :practiceId', { practiceId: practice.id });
        const count = await joinPortalState(qb, 'p', SEED_NOW).andWhere(portalStatusCondition(status)).getCount();
        assert.ok(count > 0, `${practice.name} has ${status} patients at the seed's "now"`);
      }
      const [closed] = await first.query("SELECT COUNT(*) AS n FROM portal_accounts WHERE practiceId = ? AND status = 'closed'", [practice.id]);
      assert.ok(Number(closed.n) > 0, `${practice.name} has closed (retired) accounts`);
    }
  });

  it('creates the four staff logins with the right roles and practices', async () => {
    const rows = await first.query('SELECT email, name, role, practiceId, active FROM staff_users ORDER BY email');
    assert.deepEqual(
      rows.map((r: Record<string, unknown>) => ({ ...r, active: Boolean(Number(r.active)) })),
      [
        { email: 'admin@maplegrove.test', role: 'practice_admin', practiceId: MAPLE_GROVE_ID },
        { email: 'admin@riverside.test', role: 'practice_admin', practiceId: RIVERSIDE_ID },
        { email: 'desk@maplegrove.test', role: 'front_desk', practiceId: MAPLE_GROVE_ID },
        { email: 'desk@riverside.test', role: 'front_desk', practiceId: RIVERSIDE_ID },
      ].map((expected) => ({ ...expected, name: DEMO_LOGINS.find((l) => l.email === expected.email)!.name, active: true })),
    );
  });

  it('stores passwords and security answers only as argon2id hashes, and the demo password works', async () => {
    const staff = await first.query('SELECT email, passwordHash FROM staff_users');
    for (const row of staff) assert.match(row.passwordHash, /^\$argon2id\$v=19\$/, row.email);
    const verified = await Promise.all(staff.map((row: { passwordHash: string }) => argon2.verify(row.passwordHash, DEMO_PASSWORD)));
    assert.deepEqual(
      verified,
      staff.map(() => true),
    );

    const accounts = await first.query('SELECT status, passwordHash, securityAnswerHash FROM portal_accounts');
    for (const account of accounts) {
      if (account.status === 'closed') {
        assert.equal(account.passwordHash, null, 'a closed account keeps no password hash');
        assert.equal(account.securityAnswerHash, null);
      } else {
        assert.match(account.passwordHash, /^\$argon2id\$/);
        assert.match(account.securityAnswerHash, /^\$argon2id\$/);
      }
    }
    const invitations = await first.query('SELECT tokenHash, pinHash FROM registration_invitations');
    assert.ok(invitations.length > 0);
    for (const invitation of invitations) {
      assert.match(invitation.tokenHash, /^[0-9a-f]{64}$/);
      assert.match(invitation.pinHash, /^[0-9a-f]{64}$/);
    }
  });

  it('uses only reserved example domains and well-formed phone numbers, so a demo never reaches a real person', async () => {
    const patients = await first.query('SELECT email, phone, phoneDigits FROM patients');
    for (const patient of patients) {
      if (patient.email !== null) assert.match(patient.email, /@example\.com$/);
      assert.match(patient.phone, /^\+1\d{10}$/);
      assert.equal(patient.phoneDigits, patient.phone.slice(1));
    }
    assert.ok(
      patients.some((p: { email: string | null }) => p.email === null),
      'some charts have no email (the reset refuses those)',
    );
  });

  it('seeds only an empty database', async () => {
    const before = await first.query('SELECT COUNT(*) AS n FROM patients');
    assert.equal(await seedDemoIfEmpty(first, { now: SEED_NOW }), false);
    const afterwards = await first.query('SELECT COUNT(*) AS n FROM patients');
    assert.equal(Number(afterwards[0].n), Number(before[0].n));
  });
});
