import 'reflect-metadata';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { Patient } from '../../src/patients/patient.entity';
import { SearchPage, SearchPagePlan, indexedPatientSearch, searchCondition } from '../../src/patients/patient-search';
import { SEARCH_COUNT_TABLE, rebuildSearchCountsSql, usesKeptCounts } from '../../src/patients/patient-search-counts';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

/**
 * Names that test what "starts with" means to the database's collation (case, accents, spaces,
 * apostrophes, short names, no email) rather than to JavaScript: the oracle everywhere below is
 * the live LIKE count over the same rows.
 */
const TRICKY: { firstName: string; lastName: string; email: string | null }[] = [
  { firstName: 'Ana', lastName: 'Ávila', email: 'ana.avila@example.com' },
  { firstName: 'ANA', lastName: 'avila', email: null },
  { firstName: 'Anaïs', lastName: 'De La Cruz', email: 'AnaDLC@example.org' },
  { firstName: 'Dee', lastName: 'De', email: 'de@example.net' },
  { firstName: 'Li', lastName: 'Li', email: 'li@example.com' },
  { firstName: 'Ng', lastName: "O'Neil", email: "o'neil@example.com" },
  { firstName: 'Oona', lastName: "O'Brien", email: 'oona@example.com' },
  { firstName: 'Jörg', lastName: 'Straße', email: 'joerg@example.com' },
  { firstName: 'Ævar', lastName: 'Ærlig', email: null },
  { firstName: 'Zoë', lastName: 'Zoe', email: 'zoe@example.com' },
  { firstName: 'A', lastName: 'B', email: 'a@b.example' },
  { firstName: 'Mary-Ann', lastName: 'Smith-Jones', email: 'mary-ann@example.com' },
  { firstName: 'Ray', lastName: 'Ray', email: 'ray.ray@example.com' },
];

async function insert(dataSource: DataSource, practiceId: string, rows: typeof TRICKY): Promise<string[]> {
  const ids: string[] = [];
  const stamp = '2026-01-15 09:00:00.000';
  for (const [i, row] of rows.entries()) {
    const id = randomUUID();
    ids.push(id);
    await dataSource.query(
      'INSERT INTO patients (id, practiceId, mrn, firstName, lastName, dateOfBirth, sex, email, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [id, practiceId, `TR-${i}-${id.slice(0, 6)}`, row.firstName, row.lastName, '1980-01-01', 'female', row.email, stamp, stamp],
    );
  }
  return ids;
}

/** Searches past the kept counts: counted live, read by whichever plan the live count favours. */
const LONGER = ['Avila', 'Ávila', 'De La', "O'Ne", 'mary-ann', 'Smith-Jones', 'Straße', 'ana.avila@', 'Anaï', 'nobody'];

/** Every 1- to 3-character prefix of the practice's names and emails, plus ones that match nothing. */
async function prefixesOf(dataSource: DataSource, practiceId: string): Promise<string[]> {
  const rows: { firstName: string; lastName: string; email: string | null }[] = await dataSource.query(
    'SELECT firstName, lastName, email FROM patients WHERE practiceId = ?',
    [practiceId],
  );
  const all = rows.flatMap((r) => [1, 2, 3].flatMap((n) => [r.lastName, r.firstName, r.email ?? ''].map((v) => v.slice(0, n))));
  return [...new Set([...all.filter(Boolean), 'zzz', 'q', 'avi', 'AVI', 'de', 'o', 'ae'])];
}

async function liveCount(dataSource: DataSource, practiceId: string, q: string): Promise<number> {
  return dataSource.createQueryBuilder(Patient, 'p').where('p.practiceId = :practiceId', { practiceId }).andWhere(searchCondition(q)).getCount();
}

/** Runs one search on its own connection and returns the SQL statements it sent. */
async function searchCountingStatements(dataSource: DataSource, q: string, page: SearchPage) {
  const statements: string[] = [];
  const runner = dataSource.createQueryRunner();
  const query = runner.query.bind(runner);
  runner.query = ((sql: string, values?: unknown[]) => (statements.push(sql), query(sql, values))) as typeof runner.query;
  try {
    return { found: await indexedPatientSearch(runner.manager, MAPLE_GROVE_ID, q, page), statements };
  } finally {
    await runner.release();
  }
}

async function livePage(dataSource: DataSource, practiceId: string, q: string, limit: number): Promise<string[]> {
  const rows = await dataSource
    .createQueryBuilder(Patient, 'p')
    .select('p.id', 'id')
    .where('p.practiceId = :practiceId', { practiceId })
    .andWhere(searchCondition(q))
    .orderBy('p.lastName', 'ASC')
    .addOrderBy('p.firstName', 'ASC')
    .addOrderBy('p.id', 'ASC')
    .limit(limit)
    .getRawMany<{ id: string }>();
  return rows.map((r) => r.id);
}

/** The counts keyed by collation weight: a recount may keep "a" where the triggers first saw "Á". */
async function keptCounts(dataSource: DataSource): Promise<Map<string, number>> {
  const rows: { practiceId: string; field: string; prefixLength: number; prefix: string; patients: number }[] = await dataSource.query(
    `SELECT practiceId, field, prefixLength, HEX(WEIGHT_STRING(prefix)) AS prefix, patients FROM ${SEARCH_COUNT_TABLE} WHERE patients <> 0`,
  );
  return new Map(rows.map((r) => [`${r.practiceId}|${r.field}|${r.prefixLength}|${r.prefix}`, Number(r.patients)]));
}

async function assertTotalsMatchLive(dataSource: DataSource, practiceId: string): Promise<void> {
  for (const q of await prefixesOf(dataSource, practiceId)) {
    const found = await indexedPatientSearch(dataSource.manager, practiceId, q, { offset: 0, limit: 25, order: 'ASC' });
    assert.equal(found.total, await liveCount(dataSource, practiceId, q), `total for ${JSON.stringify(q)}`);
  }
}

describe('kept search counts on MariaDB/MySQL', { skip: mysqlSkip }, () => {
  let t: TestApp;

  before(async () => {
    t = await startTestApp({ seedPatients: 40, label: 'fdnsearchcounts' });
    await insert(t.dataSource, MAPLE_GROVE_ID, TRICKY);
    await insert(t.dataSource, RIVERSIDE_ID, TRICKY.slice(0, 5));
  });
  after(async () => t?.close());

  it('answer short plain prefixes only: longer ones, spaces and non-ASCII are counted live', () => {
    for (const q of ['a', 'Smi', "o'n", 'a.b', '5', 'x_y']) assert.ok(usesKeptCounts(q), q);
    for (const q of ['Smit', 'de l', 'av,', 'Áv', 'ß', '']) assert.equal(usesKeptCounts(q), false, q);
  });

  it('give the same total as counting live, for every short prefix of accented, spaced and short names', async () => {
    for (const q of LONGER) {
      const found = await indexedPatientSearch(t.dataSource.manager, MAPLE_GROVE_ID, q, { offset: 0, limit: 25, order: 'ASC' });
      assert.equal(found.total, await liveCount(t.dataSource, MAPLE_GROVE_ID, q), `total for ${JSON.stringify(q)}`);
    }
    await assertTotalsMatchLive(t.dataSource, MAPLE_GROVE_ID);
    await assertTotalsMatchLive(t.dataSource, RIVERSIDE_ID);
  });

  it('follow inserts, renames, case-only renames, emails removed, moves between practices and deletes', async () => {
    const [ana, , anais, dee] = await insert(t.dataSource, MAPLE_GROVE_ID, TRICKY.slice(0, 4));
    await t.dataSource.query("UPDATE patients SET lastName = 'Avalon', firstName = 'Zed' WHERE id = ?", [ana]);
    await t.dataSource.query("UPDATE patients SET lastName = 'DE LA CRUZ' WHERE id = ?", [anais]);
    await t.dataSource.query('UPDATE patients SET email = NULL WHERE id = ?', [anais]);
    await t.dataSource.query('UPDATE patients SET practiceId = ? WHERE id = ?', [RIVERSIDE_ID, dee]);
    await t.dataSource.query("UPDATE patients SET city = 'Salem' WHERE practiceId = ?", [MAPLE_GROVE_ID]);
    await t.dataSource.query("DELETE FROM patients WHERE lastName = 'Ray'");
    await assertTotalsMatchLive(t.dataSource, MAPLE_GROVE_ID);
    await assertTotalsMatchLive(t.dataSource, RIVERSIDE_ID);
  });

  it('are what a recount from scratch gives (the migration and bulk loads recount; triggers maintain)', async () => {
    const maintained = await keptCounts(t.dataSource);
    for (const sql of rebuildSearchCountsSql()) await t.dataSource.query(sql);
    assert.deepEqual(await keptCounts(t.dataSource), maintained);
  });

  it('make the unfiltered list total the practice size without counting rows', async () => {
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const response = await desk.get('/api/patients').query({ range: '[0,9]' });
    assert.equal(response.status, 200);
    const [{ n }] = await t.dataSource.query('SELECT COUNT(*) AS n FROM patients WHERE practiceId = ?', [MAPLE_GROVE_ID]);
    assert.equal(response.headers['content-range'], `patients 0-9/${Number(n)}`);
    // The last page and a page past the end (no row to carry the kept total) say the same total.
    const last = await desk.get('/api/patients').query({ range: `[${Number(n) - 2},${Number(n) + 7}]` });
    assert.equal(last.body.length, 2);
    assert.equal(last.headers['content-range'], `patients ${Number(n) - 2}-${Number(n) - 1}/${Number(n)}`);
    const past = await desk.get('/api/patients').query({ range: `[${Number(n) + 10},${Number(n) + 19}]` });
    assert.deepEqual(past.body, []);
    assert.match(String(past.headers['content-range']), new RegExp(`/${Number(n)}$`));
  });

  for (const plan of ['term-index', 'name-order', 'prefix-index'] as SearchPagePlan[]) {
    it(`page the same patients in the same order whichever way a term is read (${plan})`, async () => {
      for (const q of [...(await prefixesOf(t.dataSource, MAPLE_GROVE_ID)), ...LONGER]) {
        const expected = await livePage(t.dataSource, MAPLE_GROVE_ID, q, 30);
        const pages: string[] = [];
        for (let offset = 0; offset < 30; offset += 10) {
          const found = await indexedPatientSearch(t.dataSource.manager, MAPLE_GROVE_ID, q, { offset, limit: 10, order: 'ASC', plan });
          pages.push(...found.ids);
        }
        assert.deepEqual(pages, expected, `pages for ${JSON.stringify(q)}`);
      }
    });
  }

  it('answer a page past the last match with no rows and still the exact total, from one statement', async () => {
    for (const q of ['Avi', 'De', 'De La', 'Straße', 'ana.avila@', 'ana.', 'nobody']) {
      const { found, statements } = await searchCountingStatements(t.dataSource, q, { offset: 500, limit: 25, order: 'ASC' });
      assert.deepEqual(found.ids, [], `ids for ${JSON.stringify(q)}`);
      assert.equal(found.total, await liveCount(t.dataSource, MAPLE_GROVE_ID, q), `total for ${JSON.stringify(q)}`);
      // A 3-letter key, a search no key answers and a likely MRN, phone or email ("@", a digit)
      // are read with their counts; the others count first, because the counts choose the plan.
      const expected = ['De', 'ana.', 'nobody'].includes(q) ? 2 : 1;
      assert.equal(statements.length, expected, `statements for ${JSON.stringify(q)}`);
    }
  });

  it('read an email search with a digit that proves broad again, in the plan its counts choose, with the same page and total', async () => {
    const bulk = Array.from({ length: 60 }, (_, i) => ({
      firstName: 'Bulk',
      lastName: `Numbered${String(i).padStart(2, '0')}`,
      email: `bulk${1000 + i}@example.com`,
    }));
    const ids = await insert(t.dataSource, MAPLE_GROVE_ID, bulk);
    try {
      const { found, statements } = await searchCountingStatements(t.dataSource, 'bulk10', { offset: 0, limit: 10, order: 'ASC' });
      assert.deepEqual(found.ids, await livePage(t.dataSource, MAPLE_GROVE_ID, 'bulk10', 10));
      assert.equal(found.total, 60);
      // First by each term's own index with the counts; then, all 60 sharing "bul" being a broad
      // match for a page of 10, by the email search key.
      assert.equal(statements.length, 2);
      assert.doesNotMatch(statements[0]!, /IDX_patients_practice_email_prefix/);
      assert.match(statements[1]!, /FORCE INDEX \(IDX_patients_practice_email_prefix\)/);
    } finally {
      await t.dataSource.query(`DELETE FROM patients WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
    }
  });

  it('read a 3-letter first-name prefix from its search key in name order: the first entries of one range', async () => {
    const rows: { key: string | null; Extra: string; type: string }[] = await t.dataSource.query(
      `EXPLAIN SELECT p.id FROM patients p FORCE INDEX (IDX_patients_practice_first_prefix) WHERE p.practiceId = ? AND p.firstNamePrefix = ? AND (p.firstName LIKE ?) ORDER BY p.lastName ASC, p.firstName ASC, p.id ASC LIMIT 25`,
      [MAPLE_GROVE_ID, 'Ana', 'Ana%'],
    );
    assert.equal(rows[0]!.key, 'IDX_patients_practice_first_prefix');
    assert.equal(rows[0]!.type, 'ref');
    assert.doesNotMatch(rows[0]!.Extra, /filesort/i);
  });

  it('keep search keys that follow the names: generated from the row, nothing to write', async () => {
    const [row] = await t.dataSource.query(
      "SELECT firstNamePrefix, emailPrefix FROM patients WHERE practiceId = ? AND lastName = 'De La Cruz' AND email IS NOT NULL",
      [MAPLE_GROVE_ID],
    );
    assert.deepEqual({ ...row }, { firstNamePrefix: 'Ana', emailPrefix: 'Ana' });
  });

  it('read a common first-name prefix in name order, stopping at the page, not sorting every match', async () => {
    const plan = async (q: string) => {
      const rows: { key: string | null; Extra: string }[] = await t.dataSource.query(
        `EXPLAIN SELECT p.id FROM patients p FORCE INDEX (IDX_patients_practice_last_first) WHERE p.practiceId = ? AND (p.firstName LIKE ?) ORDER BY p.lastName ASC, p.firstName ASC, p.id ASC LIMIT 25`,
        [MAPLE_GROVE_ID, `${q}%`],
      );
      return rows[0]!;
    };
    const row = await plan('An');
    assert.equal(row.key, 'IDX_patients_practice_last_first');
    assert.doesNotMatch(row.Extra, /filesort/i);
    assert.match(row.Extra, /Using index/);
  });
});
