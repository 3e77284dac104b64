import { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';

/**
 * Exact totals for short name searches, kept by the database itself (MySQL/MariaDB only).
 *
 * Why: the list protocol answers an exact total (`Content-Range: patients 0-24/9762`), and
 * counting a 3-letter prefix means walking every matching index entry: at a million patients
 * "smi" is tens of thousands of entries, tens of milliseconds per keystroke. Prefixes of up to
 * SEARCH_COUNT_PREFIX_LENGTH characters are where the big counts are, so for those the number of
 * matching patients is kept in `patient_search_prefix_counts`, one row per (practice, field,
 * prefix), maintained by triggers on `patients`. Triggers rather than application code because
 * charts are written by whatever feeds them (seed, EHR import), never by ResetDesk itself, and
 * the count must stay exact in the same transaction as the change.
 *
 * Fields: `any` counts patients whose last name, first name or email starts with the prefix (each
 * patient once: the search's own OR), plus the practice's patient total under the empty prefix;
 * `first` and `email` count those fields alone, which is how the page query decides between
 * reading the name index in order and sorting a term's matches (see patient-search.ts).
 *
 * Prefixes are compared by the database's collation (rows are grouped by it, lookups use `=`),
 * which is what LIKE uses, so "mar", "Mar" and "Már" share a row exactly as they match each
 * other. Lengths are stored beside the prefix because a PAD SPACE collation makes "De " and "De"
 * equal.
 */
export const SEARCH_COUNT_PREFIX_LENGTH = 3;
export const SEARCH_COUNT_TABLE = 'patient_search_prefix_counts';

/**
 * MySQL-only search keys on `patients`: the first 3 characters of the first name and of the
 * email as VIRTUAL generated columns (nothing stored, nothing for a chart feed to write), each
 * indexed with the name order behind it. "Ave…" first names in name order are then one index
 * range read from its start, 25 entries for a page of 25, where the plain first-name index has
 * to sort every "Ave…" patient first. Not entity columns: SQLite has no such index path.
 */
export const SEARCH_KEY_COLUMNS = [
  {
    name: 'firstNamePrefix',
    source: 'firstName',
    index: 'IDX_patients_practice_first_prefix',
    indexColumns: ['practiceId', 'firstNamePrefix', 'lastName', 'firstName', 'id'],
  },
  {
    name: 'emailPrefix',
    source: 'email',
    index: 'IDX_patients_practice_email_prefix',
    indexColumns: ['practiceId', 'emailPrefix', 'lastName', 'firstName', 'id', 'email'],
  },
] as const;

export function addSearchKeyColumnsSql(charset: string, collation: string): string[] {
  return SEARCH_KEY_COLUMNS.map(
    (key) =>
      `ALTER TABLE patients ADD COLUMN ${key.name} varchar(${SEARCH_COUNT_PREFIX_LENGTH}) CHARACTER SET ${charset} COLLATE ${collation} ` +
      `GENERATED ALWAYS AS (LEFT(${key.source}, ${SEARCH_COUNT_PREFIX_LENGTH})) VIRTUAL, ADD INDEX ${key.index} (${key.indexColumns.join(', ')})`,
  );
}

export function dropSearchKeyColumnsSql(): string[] {
  return SEARCH_KEY_COLUMNS.map((key) => `ALTER TABLE patients DROP INDEX ${key.index}, DROP COLUMN ${key.name}`);
}

const FIELDS: { field: 'any' | 'first' | 'email'; columns: string[] }[] = [
  { field: 'any', columns: ['lastName', 'firstName', 'email'] },
  { field: 'first', columns: ['firstName'] },
  { field: 'email', columns: ['email'] },
];
const LENGTHS = Array.from({ length: SEARCH_COUNT_PREFIX_LENGTH }, (_, i) => i + 1);

/** Plain ASCII, one word: characters that compare the same in `=` and LIKE under any collation. */
const PLAIN = /^[A-Za-z0-9.'@_+-]+$/;

/**
 * A search the kept counts answer: one word of 1–3 plain ASCII characters. Longer prefixes match
 * few enough patients to count live; other characters (spaces make "first last" terms, Unicode
 * expansions such as "ß" compare differently in `=` and LIKE) take the live count too.
 */
export function usesKeptCounts(q: string): boolean {
  return PLAIN.test(q) && q.length <= SEARCH_COUNT_PREFIX_LENGTH;
}

/** A search whose first-name and email terms can start from the 3-character search keys. */
export function usesSearchKeys(q: string): boolean {
  return PLAIN.test(q) && q.length >= SEARCH_COUNT_PREFIX_LENGTH;
}

export interface SearchPrefixCounts {
  /** Patients in the practice. */
  practiceTotal: number;
  /** Patients whose last name, first name or email starts with the prefix. */
  any: number;
  first: number;
  email: number;
}

const KEPT_PRACTICE_TOTAL = 'keptPracticeTotal';

/**
 * The kept counts of `prefix` and the practice's total as scalar subqueries (primary-key lookups),
 * to ride along in another statement's select list; read back with keptCountsFrom.
 */
export function keptCountColumns(practiceId: string, prefix: string | null): { sql: string; values: unknown[] } {
  const lookup = (alias: string, field: string, ofPrefix: boolean) =>
    `COALESCE((SELECT c.patients FROM ${SEARCH_COUNT_TABLE} c WHERE c.practiceId = ? AND c.field = '${field}' AND c.prefixLength = ${ofPrefix ? '? AND c.prefix = ?' : 0}), 0) AS ${alias}`;
  const columns = [lookup(KEPT_PRACTICE_TOTAL, 'any', false)];
  const values: unknown[] = [practiceId];
  if (prefix) {
    for (const field of ['any', 'first', 'email'] as const) {
      columns.push(lookup(`kept_${field}`, field, true));
      values.push(practiceId, prefix.length, prefix);
    }
  }
  return { sql: columns.join(', '), values };
}

export function keptCountsFrom(row: Record<string, unknown> | undefined): SearchPrefixCounts {
  const n = (key: string) => Number(row?.[key] ?? 0);
  return { practiceTotal: n(KEPT_PRACTICE_TOTAL), any: n('kept_any'), first: n('kept_first'), email: n('kept_email') };
}

/**
 * The practice's kept patient total as a column of a query builder's statement (the unfiltered
 * list reads it with its page); `practiceId` goes in as a named parameter.
 */
export function selectKeptPracticeTotal<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, practiceId: string): SelectQueryBuilder<T> {
  return qb
    .addSelect(
      `(SELECT c.patients FROM ${SEARCH_COUNT_TABLE} c WHERE c.practiceId = :keptPracticeId AND c.field = 'any' AND c.prefixLength = 0)`,
      KEPT_PRACTICE_TOTAL,
    )
    .setParameter('keptPracticeId', practiceId);
}

/** The total selectKeptPracticeTotal put on a row. */
export function keptPracticeTotalOf(row: ObjectLiteral): number {
  return keptCountsFrom(row).practiceTotal;
}

/** The kept counts for `q` (see usesKeptCounts) and the practice's total, in one round trip. */
export async function readSearchPrefixCounts(manager: EntityManager, practiceId: string, q: string | null): Promise<SearchPrefixCounts> {
  const columns = keptCountColumns(practiceId, q);
  const [row] = await manager.query(`SELECT ${columns.sql}`, columns.values);
  return keptCountsFrom(row);
}

/**
 * The (field, length, prefix) keys one patient row counts under, as a derived table: `row` is
 * `NEW` or `OLD` in a trigger. DISTINCT folds the keys the row shares between its fields (a last
 * name and an email both starting "mar" count the patient once under `any`).
 */
function rowKeys(row: 'NEW' | 'OLD'): string {
  const raw = [`SELECT 'any' AS field, '' AS prefix`];
  for (const { field, columns } of FIELDS) {
    for (const column of columns) for (const n of LENGTHS) raw.push(`SELECT '${field}', LEFT(${row}.\`${column}\`, ${n})`);
  }
  return `(SELECT DISTINCT raw.field, CHAR_LENGTH(raw.prefix) AS prefixLength, raw.prefix FROM (${raw.join(' UNION ALL ')}) raw
      WHERE raw.prefix IS NOT NULL AND (CHAR_LENGTH(raw.prefix) > 0 OR raw.field = 'any'))`;
}

function countRow(row: 'NEW' | 'OLD'): string {
  return `INSERT INTO ${SEARCH_COUNT_TABLE} (practiceId, field, prefixLength, prefix, patients)
    SELECT ${row}.practiceId, k.field, k.prefixLength, k.prefix, 1 FROM ${rowKeys(row)} k
    ON DUPLICATE KEY UPDATE patients = patients + 1`;
}

function uncountRow(row: 'NEW' | 'OLD'): string {
  return `UPDATE ${SEARCH_COUNT_TABLE} c JOIN ${rowKeys(row)} k
      ON c.practiceId = ${row}.practiceId AND c.field = k.field AND c.prefixLength = k.prefixLength AND c.prefix = k.prefix
    SET c.patients = c.patients - 1`;
}

const TRIGGERS = ['patients_search_counts_insert', 'patients_search_counts_update', 'patients_search_counts_delete'];

export function createSearchCountTriggersSql(): string[] {
  const searched = ['practiceId', 'lastName', 'firstName', 'email'];
  return [
    `CREATE TRIGGER ${TRIGGERS[0]} AFTER INSERT ON patients FOR EACH ROW ${countRow('NEW')}`,
    `CREATE TRIGGER ${TRIGGERS[1]} AFTER UPDATE ON patients FOR EACH ROW BEGIN
      IF NOT (${searched.map((c) => `NEW.\`${c}\` <=> OLD.\`${c}\``).join(' AND ')}) THEN
        ${uncountRow('OLD')};
        ${countRow('NEW')};
      END IF;
    END`,
    `CREATE TRIGGER ${TRIGGERS[2]} AFTER DELETE ON patients FOR EACH ROW ${uncountRow('OLD')}`,
  ];
}

export function dropSearchCountTriggersSql(): string[] {
  return TRIGGERS.map((name) => `DROP TRIGGER IF EXISTS ${name}`);
}

/**
 * Recounts every practice from the patients table, set-wise: after a migration adds the table,
 * or after a bulk load that ran without the triggers. Each count is a GROUP BY over one column;
 * `any` adds a first-name (email) prefix only where the earlier fields of the same row do not
 * already have it, which counts each patient once without de-duplicating millions of rows.
 */
export function rebuildSearchCountsSql(): string[] {
  const statements = [`DELETE FROM ${SEARCH_COUNT_TABLE}`];
  const insert = (field: string, prefix: string, where: string) =>
    `INSERT INTO ${SEARCH_COUNT_TABLE} (practiceId, field, prefixLength, prefix, patients)
      SELECT practiceId, '${field}', CHAR_LENGTH(${prefix}), ${prefix}, COUNT(*) FROM patients WHERE ${where}
      GROUP BY practiceId, CHAR_LENGTH(${prefix}), ${prefix}
    ON DUPLICATE KEY UPDATE patients = patients + VALUES(patients)`;
  statements.push(
    `INSERT INTO ${SEARCH_COUNT_TABLE} (practiceId, field, prefixLength, prefix, patients)
      SELECT practiceId, 'any', 0, '', COUNT(*) FROM patients GROUP BY practiceId`,
  );
  for (const n of LENGTHS) {
    const left = (column: string) => `LEFT(\`${column}\`, ${n})`;
    const has = (column: string) => `CHAR_LENGTH(\`${column}\`) >= ${n}`;
    const differs = (column: string, from: string) => `NOT (${has(from)} AND ${left(from)} = ${left(column)})`;
    statements.push(
      insert('any', left('lastName'), has('lastName')),
      insert('any', left('firstName'), `${has('firstName')} AND ${differs('firstName', 'lastName')}`),
      insert('any', left('email'), `${has('email')} AND ${differs('email', 'lastName')} AND ${differs('email', 'firstName')}`),
      insert('first', left('firstName'), has('firstName')),
      insert('email', left('email'), has('email')),
    );
  }
  return statements;
}
