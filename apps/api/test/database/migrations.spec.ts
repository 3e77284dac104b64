import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource, DataSourceOptions } from 'typeorm';
import { parseDatabaseUrl } from '../../src/config/app-config';
import { MIGRATIONS, buildDataSourceOptions } from '../../src/database/data-source-options';
import { normaliseUsername, usernameSkeleton } from '../../src/portal-accounts/username';
import { describeSchemaDrift } from '../support/schema-drift';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { mysqlSkip } from '../support/test-env';

const PRODUCT_TABLES = [
  'practices',
  'staff_users',
  'staff_sessions',
  'login_attempts',
  'patients',
  'clinical_entries',
  'portal_accounts',
  'portal_sessions',
  'registration_invitations',
  'verification_codes',
  'password_reset_requests',
  'outbox_messages',
  'idempotency_keys',
  'audit_events',
  'audit_chain_heads',
].sort();

/** The uniqueness rules the product's correctness rests on, enforced by the database itself. */
const REQUIRED_UNIQUE: [table: string, columns: string[], why: string][] = [
  ['portal_accounts', ['usernameNormalized'], 'a username is never reused'],
  ['portal_accounts', ['patientId', 'openMarker'], 'at most one open account per patient'],
  ['registration_invitations', ['patientId', 'pendingMarker'], 'at most one pending invitation per patient'],
  ['registration_invitations', ['tokenHash'], 'registration link token hashes'],
  ['password_reset_requests', ['tokenHash'], 'password reset token hashes'],
  ['staff_sessions', ['tokenHash'], 'staff session token hashes'],
  ['portal_sessions', ['tokenHash'], 'portal session token hashes'],
  ['patients', ['practiceId', 'mrn'], 'an MRN is unique within a practice'],
  ['staff_users', ['email'], 'one staff login per email'],
  ['practices', ['slug'], 'practice slugs'],
  ['audit_events', ['practiceId', 'seq'], 'one audit chain position per practice'],
  ['idempotency_keys', ['practiceId', 'scope', 'key'], 'one stored answer per idempotency key'],
];

const STAMP = '2026-01-15 09:00:00.000';

interface Flavour {
  name: string;
  skip: string | false;
  duplicateKeyCode: string;
  open(): Promise<{ options: DataSourceOptions; cleanup(): Promise<void> }>;
}

const flavours: Flavour[] = [
  {
    name: 'MariaDB/MySQL',
    skip: mysqlSkip,
    duplicateKeyCode: 'ER_DUP_ENTRY',
    async open() {
      const db: TestDatabase = await createTestDatabase('fdnmigrations');
      const options = buildDataSourceOptions(parseDatabaseUrl(db.url));
      const [{ v }] = (await db.admin.query('SELECT VERSION() AS v'))[0] as { v: string }[];
      // TypeORM reads MariaDB's information_schema correctly only as type "mariadb" (it reports
      // a nullable column's missing default as the text 'NULL'); as "mysql" every nullable
      // column would look changed. The app connects with "mysql", which is fine at run time.
      const dialect = /mariadb/i.test(v) ? { type: 'mariadb' as const } : {};
      return { options: { ...options, ...dialect } as DataSourceOptions, cleanup: () => db.drop() };
    },
  },
  {
    name: 'SQLite (embedded default)',
    skip: false,
    duplicateKeyCode: 'SQLITE_CONSTRAINT_UNIQUE',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'resetdesk-migrations-'));
      const options = buildDataSourceOptions({ type: 'sqlite', path: join(dir, 'resetdesk.sqlite') });
      return { options, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];

for (const flavour of flavours) {
  describe(`migrations on ${flavour.name}`, { skip: flavour.skip }, () => {
    let dataSource: DataSource;
    let cleanup: () => Promise<void>;

    const existingTables = async () => {
      const runner = dataSource.createQueryRunner();
      try {
        const present: string[] = [];
        for (const table of PRODUCT_TABLES) if (await runner.hasTable(table)) present.push(table);
        return present;
      } finally {
        await runner.release();
      }
    };

    const insertAccount = (username: string, patientId: string, status: 'active' | 'closed') =>
      dataSource.query(
        'INSERT INTO portal_accounts (id, practiceId, patientId, username, usernameNormalized, usernameSkeleton, status, openMarker, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          randomUUID(),
          randomUUID(),
          patientId,
          username,
          normaliseUsername(username),
          usernameSkeleton(username),
          status,
          status === 'closed' ? null : 1,
          STAMP,
          STAMP,
        ],
      );

    const rejectsAsDuplicate = async (attempt: Promise<unknown>, what: string) => {
      await assert.rejects(attempt, (error: { driverError?: { code?: string; errno?: number }; code?: string }) => {
        const code = error.driverError?.code ?? error.code;
        assert.equal(code, flavour.duplicateKeyCode, `${what}: ${String(error)}`);
        if (flavour.duplicateKeyCode === 'ER_DUP_ENTRY') assert.equal(error.driverError?.errno, 1062);
        return true;
      });
    };

    before(async () => {
      const opened = await flavour.open();
      cleanup = opened.cleanup;
      dataSource = await new DataSource(opened.options).initialize();
    });
    after(async () => {
      if (dataSource?.isInitialized) await dataSource.destroy();
      await cleanup?.();
    });

    it('runs every migration up on an empty database, and a second run applies nothing', async () => {
      assert.deepEqual(await existingTables(), []);
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      assert.deepEqual(
        applied.map((m) => m.name),
        MIGRATIONS.map((m) => new m().name ?? m.name),
      );
      assert.deepEqual(await existingTables(), PRODUCT_TABLES);
      assert.deepEqual(await dataSource.runMigrations({ transaction: 'each' }), []);
    });

    it('creates the unique indexes the product relies on', async () => {
      const runner = dataSource.createQueryRunner();
      try {
        const missing: string[] = [];
        for (const [tableName, columns, why] of REQUIRED_UNIQUE) {
          const table = await runner.getTable(tableName);
          assert.ok(table, `${tableName} exists`);
          const sameColumns = (names: string[]) => names.length === columns.length && names.every((n, i) => n === columns[i]);
          const unique = table.indices.some((i) => i.isUnique && sameColumns(i.columnNames)) || table.uniques.some((u) => sameColumns(u.columnNames));
          if (!unique) missing.push(`${tableName}(${columns.join(', ')}): ${why}`);
        }
        assert.deepEqual(missing, [], 'unique indexes missing');
      } finally {
        await runner.release();
      }
    });

    it('leaves no drift between the entities and the migrated schema', async () => {
      const sql = await dataSource.driver.createSchemaBuilder().log();
      if (sql.upQueries.length > 0) {
        const drift = await describeSchemaDrift(dataSource);
        assert.fail(
          `TypeORM would change the migrated schema to match the entities (${sql.upQueries.length} statements):\n  ` +
            (drift.length ? drift.join('\n  ') : sql.upQueries.map((q) => q.query).join('\n  ')),
        );
      }
    });

    it('rejects a second account with the same normalized username at the database level, closed accounts included', async () => {
      await insertAccount('Jordan.Lee', randomUUID(), 'closed');
      // Different spelling, same NFKC + lower-case form: the index, not the code, refuses it.
      assert.equal(normaliseUsername('ＪＯＲＤＡＮ.lee'), normaliseUsername('Jordan.Lee'));
      await rejectsAsDuplicate(insertAccount('ＪＯＲＤＡＮ.lee', randomUUID(), 'active'), 'a retired username');
      await rejectsAsDuplicate(insertAccount('jordan.lee', randomUUID(), 'active'), 'the same username in another case');
      await insertAccount('jordan.lee2', randomUUID(), 'active');
      const rows = await dataSource.query("SELECT username FROM portal_accounts WHERE usernameNormalized LIKE 'jordan.lee%' ORDER BY username");
      assert.deepEqual(
        rows.map((r: { username: string }) => r.username),
        ['Jordan.Lee', 'jordan.lee2'],
      );
    });

    it('rejects a second open account for one patient, but keeps any number of closed ones', async () => {
      const patientId = randomUUID();
      await insertAccount(`first-${patientId.slice(0, 8)}`, patientId, 'closed');
      await insertAccount(`second-${patientId.slice(0, 8)}`, patientId, 'closed');
      await insertAccount(`third-${patientId.slice(0, 8)}`, patientId, 'active');
      await rejectsAsDuplicate(insertAccount(`fourth-${patientId.slice(0, 8)}`, patientId, 'active'), 'a second open account');
    });

    it('rejects a duplicate MRN within a practice, but not across practices', async () => {
      const insertPatient = (practiceId: string, mrn: string) =>
        dataSource.query(
          'INSERT INTO patients (id, practiceId, mrn, firstName, lastName, dateOfBirth, sex, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [randomUUID(), practiceId, mrn, 'Test', 'Patient', '1980-02-03', 'female', STAMP, STAMP],
        );
      const practiceA = randomUUID();
      await insertPatient(practiceA, 'MG-000001');
      await insertPatient(randomUUID(), 'MG-000001');
      await rejectsAsDuplicate(insertPatient(practiceA, 'MG-000001'), 'a duplicate MRN');
    });

    it('reverts every migration, leaving none of the product tables', async () => {
      const executed = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM schema_migrations'))[0].n);
      let guard = MIGRATIONS.length + 1;
      while ((await executed()) > 0 && guard-- > 0) await dataSource.undoLastMigration({ transaction: 'each' });
      assert.equal(await executed(), 0);
      assert.deepEqual(await existingTables(), []);
    });
  });
}
