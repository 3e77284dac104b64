import { Brackets, EntityManager } from 'typeorm';
import { LIKE_ESCAPE, escapeLike } from '../common/list-query';

/**
 * What the one search box matches: a prefix of the last name, first name or email, the MRN or
 * the phone (digits only) exactly, or "first last" / "last, first". Each term names the index that
 * answers it, so MySQL can run them as separate index range scans (see indexedPatientSearch).
 */
interface SearchTerm {
  index: string;
  /** SQL on alias `p`, with positional `?` values. */
  where: string;
  values: unknown[];
}

const LIKE = `LIKE ? ${LIKE_ESCAPE}`;
const likePrefix = (value: string) => `${escapeLike(value)}%`;

/**
 * The terms in the order the exact total counts them (see countSql): each term's count excludes
 * the terms before it, so a term's index should carry the columns of every earlier term. Name
 * terms first (the last-name index carries both names), then email (its index carries both
 * names), then the exact MRN and phone terms, which find a row or two and may read them.
 */
export function searchTerms(q: string): SearchTerm[] {
  const prefix = likePrefix(q);
  const terms: SearchTerm[] = [{ index: 'IDX_patients_practice_last_first', where: `p.lastName ${LIKE}`, values: [prefix] }];
  const words = q.split(/[\s,]+/).filter(Boolean);
  if (words.length === 2) {
    const [a, b] = words.map(likePrefix);
    terms.push({ index: 'IDX_patients_practice_last_first', where: `p.lastName ${LIKE} AND p.firstName ${LIKE}`, values: [b, a] });
    terms.push({ index: 'IDX_patients_practice_last_first', where: `p.lastName ${LIKE} AND p.firstName ${LIKE}`, values: [a, b] });
  }
  terms.push(
    { index: 'IDX_patients_practice_first', where: `p.firstName ${LIKE}`, values: [prefix] },
    { index: 'IDX_patients_practice_email', where: `p.email ${LIKE}`, values: [prefix] },
    { index: 'UQ_patients_practice_mrn', where: 'p.mrn = ?', values: [q] },
  );
  const digits = q.replace(/\D/g, '');
  if (digits.length >= 7 && /^[\d\s()+.-]+$/.test(q)) {
    // A North American number typed without the country code still finds +1 numbers.
    const candidates = digits.length === 10 ? [digits, `1${digits}`] : [digits];
    terms.push({ index: 'IDX_patients_practice_phone', where: `p.phoneDigits IN (${candidates.map(() => '?').join(', ')})`, values: candidates });
  }
  return terms;
}

/** The terms OR-ed together, for a TypeORM query builder (any database, any other filter or sort). */
export function searchCondition(q: string): Brackets {
  return new Brackets((where) => {
    searchTerms(q).forEach((term, t) => {
      let n = 0;
      const params: Record<string, unknown> = {};
      const sql = term.where.replace(/\?/g, () => {
        const name = `search${t}_${n++}`;
        params[name] = term.values[n - 1];
        return `:${name}`;
      });
      where.orWhere(`(${sql})`, params);
    });
  });
}

/**
 * MySQL/MariaDB: one index range scan per term, merged with UNION, for a search sorted by name.
 * An OR across columns cannot use any one index, and the optimizer then walks the whole practice
 * in name order; at a million patients that is seconds per search instead of milliseconds.
 */
export async function indexedPatientSearch(
  manager: EntityManager,
  practiceId: string,
  q: string,
  page: { offset: number; limit: number; order: 'ASC' | 'DESC' },
): Promise<{ ids: string[]; total: number }> {
  const terms = searchTerms(q);
  const order = page.order === 'DESC' ? 'DESC' : 'ASC';
  const sortKey = `lastName ${order}, firstName ${order}, id ASC`;
  const scan = (term: SearchTerm, columns: string, tail: string) =>
    `(SELECT ${columns} FROM patients p FORCE INDEX (${term.index}) WHERE p.practiceId = ? AND (${term.where})${tail})`;
  const values = (term: SearchTerm) => [practiceId, ...term.values];

  const window = page.offset + page.limit;
  const pageSql =
    `SELECT m.id FROM (${terms.map((t) => scan(t, 'p.id, p.lastName, p.firstName', ` ORDER BY ${sortKey.replace(/(\w+) /g, 'p.$1 ')} LIMIT ${window}`)).join(' UNION ')}) m ` +
    `ORDER BY m.${sortKey.replace(/, /g, ', m.')} LIMIT ${page.limit} OFFSET ${page.offset}`;
  const count = countSql(practiceId, terms);

  const [rows, counted] = await Promise.all([
    manager.query(pageSql, terms.flatMap(values)) as Promise<{ id: string }[]>,
    manager.query(count.sql, count.values) as Promise<{ n: number | string }[]>,
  ]);
  return { ids: rows.map((row) => row.id), total: Number(counted[0]?.n ?? 0) };
}

/**
 * The exact number of distinct patients matching any term, as a sum over disjoint parts:
 * term 1's matches, plus term 2's that are not term 1's, plus term 3's that are neither, and so on.
 * Each part is one index-only range scan that counts as it goes, where a UNION of ids would first
 * copy every match into a temporary table to remove duplicates (about twice the time at 10,000
 * matches). `NOT COALESCE(…, FALSE)` keeps a patient whose earlier-term column is NULL (no email,
 * no phone) in the later part: a bare `NOT (p.email LIKE ?)` would be NULL there and drop them.
 */
export function countSql(practiceId: string, terms: SearchTerm[]): { sql: string; values: unknown[] } {
  const values: unknown[] = [];
  const parts = terms.map((term, t) => {
    const earlier = terms.slice(0, t);
    values.push(practiceId, ...term.values, ...earlier.flatMap((e) => e.values));
    const exclusions = earlier.map((e) => ` AND NOT COALESCE((${e.where}), FALSE)`).join('');
    return `(SELECT COUNT(*) FROM patients p FORCE INDEX (${term.index}) WHERE p.practiceId = ? AND (${term.where})${exclusions})`;
  });
  return { sql: `SELECT ${parts.join(' + ')} AS n`, values };
}
