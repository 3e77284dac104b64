import mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { mulberry32, seedDemo } from '../../src/seed/demo-seed';
import { createHash } from 'node:crypto';
import { FIRST_NAMES, LAST_NAMES, STREETS } from '../../src/seed/demo-data';
import { createSearchCountTriggersSql, dropSearchCountTriggersSql, rebuildSearchCountsSql } from '../../src/patients/patient-search-counts';

/**
 * Bulk-loads synthetic patients straight into MySQL: multi-row INSERTs of a few thousand rows per
 * transaction, unique checks off inside the batch (the generator guarantees uniqueness). The
 * ORM's one-entity-at-a-time path would take an hour for a million charts; this takes minutes.
 *
 * The shape follows the demo seed: its name lists, drawn with a mild skew so "Smith" is more
 * common than "Kowalski"; unique MRNs, phones and emails; about half the patients in each practice;
 * and portal accounts and pending invitations in roughly the mix a clinic has, so the list
 * query's joins have real rows to look at. With only ~60 names per list a 3-letter prefix
 * matches about 2% of a practice, two to three times what a real panel's surnames give: name
 * searches here are on the pessimistic side.
 *
 * The loaded tables' secondary indexes are dropped for the load and rebuilt afterwards, one
 * ALTER TABLE each (a sort-based build, several times faster than maintaining B-trees row by row
 * once they outgrow the buffer pool); the definitions are read back from the migrated schema, so
 * the rebuilt tables are exactly the migration's, and rebuilding the unique indexes (MRN,
 * username, token) re-checks the uniqueness the load skipped.
 */

export interface PracticeRef {
  id: string;
  slug: 'maple-grove' | 'riverside';
}

/** A patient the benchmark can search for: the values staff would type. */
export interface SearchablePatient {
  firstName: string;
  lastName: string;
  email: string | null;
  mrn: string;
  phoneDigits: string | null;
}

export interface LoadResult {
  patients: number;
  perPractice: Record<string, number>;
  portalAccounts: number;
  invitations: number;
  /** Wall time of the whole load, of which `indexSeconds` rebuilding the patients indexes. */
  seconds: number;
  indexSeconds: number;
  /** Recounting the kept search counts after the load (the triggers are off during it). */
  countSeconds: number;
  /** A uniform random sample of the searched practice's patients. */
  sample: SearchablePatient[];
}

const PRACTICE_SHAPE = {
  'maple-grove': { mrnPrefix: 'MG', areaCodes: ['503', '971', '360', '541'], city: 'Portland', state: 'OR', zip: '972', minYear: 1935, years: 89 },
  riverside: { mrnPrefix: 'RP', areaCodes: ['312', '773', '872', '630'], city: 'Chicago', state: 'IL', zip: '606', minYear: 2008, years: 18 },
} as const;

const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com', 'inbox.example.org'];
const BATCH_ROWS = 2000;
const SAMPLE_SIZE = 20_000;

/** Picks list items with weight 1/rank^s: the lists are roughly ordered by real-world frequency. */
function zipfPicker<T>(items: readonly T[], s: number): (rand: () => number) => T {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= items.length; rank++) cumulative.push((total += 1 / rank ** s));
  return (rand) => {
    const target = rand() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]!;
  };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const LOADED_TABLES = ['patients', 'portal_accounts', 'registration_invitations'];

function sqlDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Ids ordered by insertion, UUID-shaped (like UUIDv7): keeps the clustered index dense while
 * loading. Lookups by id behave the same as with random ids once the data is loaded.
 */
function orderedId(sequence: number, rand: () => number, kind = 0): string {
  const time = (0x0190_0000_0000 + kind * 0x10_0000_0000 + sequence).toString(16).padStart(12, '0');
  const hex = (digits: number) =>
    Math.floor(rand() * 16 ** digits)
      .toString(16)
      .padStart(digits, '0');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex(3)}-a${hex(3)}-${hex(6)}${hex(6)}`;
}

export async function loadPatients(
  sql: mysql.Connection,
  options: { total: number; practices: PracticeRef[]; samplePracticeId: string; onProgress?: (done: number) => void },
): Promise<LoadResult> {
  // Phones carry the row number in their seven local digits (2000000 + i).
  if (options.total > 7_000_000) throw new Error('The loader makes unique phone numbers for at most 7,000,000 patients');
  const started = Date.now();
  const rand = mulberry32(0x5eed + options.total);
  const pickFirst = zipfPicker(FIRST_NAMES, 0.3);
  const pickLast = zipfPicker(LAST_NAMES, 0.3);
  const counters = new Map<string, number>(options.practices.map((p) => [p.id, 0]));
  const sample: SearchablePatient[] = [];
  let sampleSeen = 0;
  let portalAccounts = 0;
  let invitations = 0;
  const now = Date.now();
  // The size of a real argon2id hash (row width matters to the plans), but the hash of nothing.
  const passwordHashLike = `$argon2id$v=19$m=65536,t=3,p=4$${'b'.repeat(22)}$${'c'.repeat(43)}`;

  const deferred: { restore(): Promise<void> }[] = [];
  for (const table of LOADED_TABLES) deferred.push(await dropSecondaryIndexes(sql, table));
  // The search-count triggers would add a dozen upserts to every row; the counts are recomputed
  // set-wise after the load instead, exactly as the migration does (see patient-search-counts.ts).
  for (const statement of dropSearchCountTriggersSql()) await sql.query(statement);
  await sql.query('SET SESSION unique_checks = 0, foreign_key_checks = 0, autocommit = 0');
  try {
    for (let start = 0; start < options.total; start += BATCH_ROWS) {
      const patients: unknown[][] = [];
      const accounts: unknown[][] = [];
      const pending: unknown[][] = [];
      for (let i = start; i < Math.min(start + BATCH_ROWS, options.total); i++) {
        const practice = options.practices[rand() < 0.5 ? 0 : 1]!;
        const shape = PRACTICE_SHAPE[practice.slug];
        const number = counters.get(practice.id)! + 1;
        counters.set(practice.id, number);

        const id = orderedId(i, rand);
        const firstName = pickFirst(rand);
        const lastName = pickLast(rand);
        const dateOfBirth = `${shape.minYear + Math.floor(rand() * shape.years)}-${pad(1 + Math.floor(rand() * 12), 2)}-${pad(1 + Math.floor(rand() * 28), 2)}`;
        // The demo seed's MRNs are MG-1xxxxx; these start at 2000001 so the two never collide.
        const mrn = `${shape.mrnPrefix}-${2_000_000 + number}`;
        const local = rand() < 0.7 ? `${firstName}.${lastName}` : `${firstName[0]}${lastName}`;
        const email = rand() < 0.94 ? `${local.toLowerCase().replace(/[^a-z.]/g, '')}${i}@${EMAIL_DOMAINS[i % EMAIL_DOMAINS.length]}` : null;
        // Unique by construction: the seven local digits carry the row number.
        const phoneDigits = rand() < 0.97 ? `1${shape.areaCodes[i % shape.areaCodes.length]}${2_000_000 + i}` : null;
        const createdAt = sqlDateTime(now - (options.total - i) * 60_000);
        patients.push([
          id,
          practice.id,
          mrn,
          firstName,
          lastName,
          dateOfBirth,
          rand() < 0.5 ? 'female' : 'male',
          email,
          phoneDigits ? `+${phoneDigits}` : null,
          phoneDigits,
          `${100 + Math.floor(rand() * 9800)} ${STREETS[Math.floor(rand() * STREETS.length)]}`,
          rand() < 0.15 ? `Apt ${1 + Math.floor(rand() * 40)}` : null,
          shape.city,
          shape.state,
          `${shape.zip}${pad(Math.floor(rand() * 100), 2)}`,
          createdAt,
          createdAt,
        ]);

        if (practice.id === options.samplePracticeId) {
          // Reservoir sampling: a uniform sample without keeping half a million rows in memory.
          sampleSeen++;
          const entry = { firstName, lastName, email, mrn, phoneDigits };
          if (sample.length < SAMPLE_SIZE) sample.push(entry);
          else {
            const slot = Math.floor(rand() * sampleSeen);
            if (slot < SAMPLE_SIZE) sample[slot] = entry;
          }
        }

        // The underscore keeps these apart from the demo seed's usernames (letters and digits only):
        // uniqueness is not checked during the load.
        const username = `${firstName[0]}${lastName}`.toLowerCase().replace(/[^a-z0-9]/g, '') + `_${i}`;
        // Roughly: half have an account (one in ten of those locked), one in ten has closed
        // history, one in twenty without an account has a pending invitation.
        const roll = rand();
        if (roll < 0.1) {
          accounts.push(accountRow(orderedId(i, rand, 1), practice.id, id, `${username}.old`, 'closed', createdAt, null));
        }
        if (roll < 0.5) {
          const status = rand() < 0.1 ? 'locked' : 'active';
          accounts.push(accountRow(orderedId(i, rand, 2), practice.id, id, username, status, createdAt, passwordHashLike));
        } else if (roll < 0.55 && email) {
          pending.push([
            orderedId(i, rand, 3),
            practice.id,
            id,
            sha256(`bench-token:${i}`),
            sha256(`bench-pin:${i}`),
            'pending',
            1,
            email,
            sqlDateTime(now + 48 * 3_600_000),
            0,
            createdAt,
          ]);
        }
      }
      await sql.query(
        'INSERT INTO patients (id, practiceId, mrn, firstName, lastName, dateOfBirth, sex, email, phone, phoneDigits, addressLine1, addressLine2, city, state, postalCode, createdAt, updatedAt) VALUES ?',
        [patients],
      );
      if (accounts.length) {
        await sql.query(
          'INSERT INTO portal_accounts (id, practiceId, patientId, username, usernameNormalized, status, openMarker, passwordHash, failedLoginCount, lockReason, lockedAt, closeReason, closedAt, lastLoginAt, createdAt, updatedAt) VALUES ?',
          [accounts],
        );
      }
      if (pending.length) {
        await sql.query(
          'INSERT INTO registration_invitations (id, practiceId, patientId, tokenHash, pinHash, status, pendingMarker, sentTo, expiresAt, failedAttempts, createdAt) VALUES ?',
          [pending],
        );
      }
      await sql.query('COMMIT');
      portalAccounts += accounts.length;
      invitations += pending.length;
      options.onProgress?.(Math.min(start + BATCH_ROWS, options.total));
    }
  } finally {
    await sql.query('SET SESSION unique_checks = 1, foreign_key_checks = 1, autocommit = 1');
  }
  const loadedAt = Date.now();
  for (const table of deferred) await table.restore();
  const indexSeconds = (Date.now() - loadedAt) / 1000;
  const countedAt = Date.now();
  for (const statement of rebuildSearchCountsSql()) await sql.query(statement);
  for (const statement of createSearchCountTriggersSql()) await sql.query(statement);
  const countSeconds = (Date.now() - countedAt) / 1000;

  // Fresh statistics, as a nightly job or a long-running server would have: without them the
  // optimizer plans on guesses from an almost empty table.
  await sql.query(`ANALYZE TABLE ${LOADED_TABLES.join(', ')}`);
  return {
    patients: options.total,
    perPractice: Object.fromEntries(counters),
    portalAccounts,
    invitations,
    seconds: (Date.now() - started) / 1000,
    indexSeconds,
    countSeconds,
    sample,
  };
}

interface IndexColumn {
  INDEX_NAME: string;
  NON_UNIQUE: number;
  COLUMN_NAME: string;
  SUB_PART: number | null;
}

/** Drops a table's secondary indexes and returns how to put exactly the same ones back. */
async function dropSecondaryIndexes(sql: mysql.Connection, table: string): Promise<{ restore(): Promise<void> }> {
  const [rows] = await sql.query<mysql.RowDataPacket[]>(
    `SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME <> 'PRIMARY' ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    [table],
  );
  const indexes = new Map<string, { unique: boolean; columns: string[] }>();
  for (const row of rows as unknown as IndexColumn[]) {
    const index = indexes.get(row.INDEX_NAME) ?? { unique: Number(row.NON_UNIQUE) === 0, columns: [] };
    index.columns.push(`\`${row.COLUMN_NAME}\`${row.SUB_PART ? `(${row.SUB_PART})` : ''}`);
    indexes.set(row.INDEX_NAME, index);
  }
  if (!indexes.size) return { restore: async () => undefined };
  await sql.query(`ALTER TABLE \`${table}\` ${[...indexes.keys()].map((name) => `DROP INDEX \`${name}\``).join(', ')}`);
  let restored = false;
  return {
    async restore() {
      if (restored) return;
      restored = true;
      const adds = [...indexes].map(([name, index]) => `ADD ${index.unique ? 'UNIQUE ' : ''}INDEX \`${name}\` (${index.columns.join(', ')})`);
      await sql.query(`ALTER TABLE \`${table}\` ${adds.join(', ')}`);
    },
  };
}

function accountRow(
  id: string,
  practiceId: string,
  patientId: string,
  username: string,
  status: 'active' | 'locked' | 'closed',
  createdAt: string,
  passwordHash: string | null,
): unknown[] {
  const closed = status === 'closed';
  return [
    id,
    practiceId,
    patientId,
    username,
    username.toLowerCase(),
    status,
    closed ? null : 1,
    closed ? null : passwordHash,
    status === 'locked' ? 5 : 0,
    status === 'locked' ? 'too_many_login_failures' : null,
    status === 'locked' ? createdAt : null,
    closed ? 'reset' : null,
    closed ? createdAt : null,
    status === 'active' ? createdAt : null,
    createdAt,
    createdAt,
  ];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A uniform random sample of a practice's patients, read back from a kept database. */
export async function samplePatients(sql: mysql.Connection, practiceId: string, size = SAMPLE_SIZE): Promise<SearchablePatient[]> {
  const [rows] = await sql.query<mysql.RowDataPacket[]>(
    'SELECT firstName, lastName, email, mrn, phoneDigits FROM patients WHERE practiceId = ? ORDER BY RAND(7) LIMIT ?',
    [practiceId, size],
  );
  return rows as unknown as SearchablePatient[];
}

export const DEMO_PATIENTS_PER_PRACTICE_IN_BENCH = 10;

/**
 * A benchmark's data set: the demo practices and logins (a few demo patients each), then
 * `patients` synthetic ones, with a progress line. Maple Grove is the practice benchmarks search.
 */
export async function loadBenchPatients(
  sql: mysql.Connection,
  dataSource: DataSource,
  patients: number,
): Promise<{ load: LoadResult; practices: PracticeRef[]; maple: PracticeRef; practicePatients: number }> {
  await seedDemo(dataSource, { patientsPerPractice: DEMO_PATIENTS_PER_PRACTICE_IN_BENCH });
  const practices = (await dataSource.query('SELECT id, slug FROM practices ORDER BY slug')) as PracticeRef[];
  const maple = practices.find((p) => p.slug === 'maple-grove')!;
  process.stdout.write(`\nLoading ${patients.toLocaleString('en-US')} patients: `);
  let nextReport = 0.1;
  const load = await loadPatients(sql, {
    total: patients,
    practices,
    samplePracticeId: maple.id,
    onProgress: (done) => {
      while (done / patients >= nextReport - 1e-9) {
        process.stdout.write(`${Math.round(nextReport * 100)}% `);
        nextReport += 0.1;
      }
    },
  });
  return { load, practices, maple, practicePatients: load.perPractice[maple.id]! + DEMO_PATIENTS_PER_PRACTICE_IN_BENCH };
}
