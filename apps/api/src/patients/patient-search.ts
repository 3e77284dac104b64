import { Brackets, EntityManager, ObjectLiteral } from 'typeorm';
import { LIKE_ESCAPE, escapeLike } from '../common/list-query';
import {
  SEARCH_COUNT_PREFIX_LENGTH,
  SEARCH_KEY_COLUMNS,
  SearchPrefixCounts,
  keptCountColumns,
  keptCountsFrom,
  usesKeptCounts,
  usesSearchKeys,
} from './patient-search-counts';

/**
 * What the one search box matches: a prefix of the last name, first name or email, the MRN or
 * the phone (digits only) exactly, or "first last" / "last, first". Each term names the index that
 * answers it, so MySQL can run them as separate index range scans (see indexedPatientSearch).
 */
interface SearchTerm {
  /** Which field the term searches: first-name and email terms can also be read in name order. */
  field: 'last' | 'first' | 'email' | 'names' | 'exact';
  index: string;
  /** SQL on alias `p`, with positional `?` values. */
  where: string;
  values: unknown[];
}

const LIKE = `LIKE ? ${LIKE_ESCAPE}`;
/**
 * What names never hold and MRNs, phones and most email searches do (see indexedPatientSearch).
 * Not ".": "charlotte." is the start of thousands of emails.
 */
const LIKELY_NARROW = /[\d@]/;
const NAME_INDEX = 'IDX_patients_practice_last_first';
const likePrefix = (value: string) => `${escapeLike(value)}%`;

/**
 * The terms in the order the exact total counts them (see countSql): each term's count excludes
 * the terms before it, so a term's index should carry the columns of every earlier term. Name
 * terms first (the last-name index carries both names), then email (its index carries both
 * names), then the exact MRN and phone terms, which find a row or two and may read them.
 */
export function searchTerms(q: string): SearchTerm[] {
  const prefix = likePrefix(q);
  const terms: SearchTerm[] = [{ field: 'last', index: NAME_INDEX, where: `p.lastName ${LIKE}`, values: [prefix] }];
  const words = q.split(/[\s,]+/).filter(Boolean);
  if (words.length === 2) {
    const [a, b] = words.map(likePrefix);
    terms.push({ field: 'names', index: NAME_INDEX, where: `p.lastName ${LIKE} AND p.firstName ${LIKE}`, values: [b, a] });
    terms.push({ field: 'names', index: NAME_INDEX, where: `p.lastName ${LIKE} AND p.firstName ${LIKE}`, values: [a, b] });
  }
  terms.push(
    { field: 'first', index: 'IDX_patients_practice_first', where: `p.firstName ${LIKE}`, values: [prefix] },
    { field: 'email', index: 'IDX_patients_practice_email', where: `p.email ${LIKE}`, values: [prefix] },
    { field: 'exact', index: 'UQ_patients_practice_mrn', where: 'p.mrn = ?', values: [q] },
  );
  const digits = q.replace(/\D/g, '');
  if (digits.length >= 7 && /^[\d\s()+.-]+$/.test(q)) {
    // A North American number typed without the country code still finds +1 numbers.
    const candidates = digits.length === 10 ? [digits, `1${digits}`] : [digits];
    terms.push({
      field: 'exact',
      index: 'IDX_patients_practice_phone',
      where: `p.phoneDigits IN (${candidates.map(() => '?').join(', ')})`,
      values: candidates,
    });
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
 * How a first-name or email term finds its share of a page: `term-index` range-scans the term's own
 * index and sorts every match by name; `name-order` walks the name index in order, testing the
 * term on each entry, and stops once it has the page; `prefix-index` reads the term's 3-character
 * search key in name order (see SEARCH_KEY_COLUMNS), from where the page starts. `auto` picks.
 */
export type SearchPagePlan = 'auto' | 'term-index' | 'name-order' | 'prefix-index';

export interface SearchPage {
  offset: number;
  limit: number;
  order: 'ASC' | 'DESC';
  /** Tests pin a plan to prove every plan gives the same page. */
  plan?: SearchPagePlan;
}

/**
 * What to read for each patient of the page, in the same statement: `select` over alias `p`
 * (patients) and whatever `joins` adds, with `joins`' positional values.
 */
export interface PageColumns {
  select: string;
  joins: string;
  values: unknown[];
}

export interface SearchResult<R> {
  /** The page's patient ids, in order. */
  ids: string[];
  /** With PageColumns, the page's rows, in order (each also carries `pageId`). */
  rows: R[];
  total: number;
}

/**
 * MySQL/MariaDB: one index range scan per term, merged with UNION, for a search sorted by name.
 * An OR across columns cannot use any one index, and the optimizer then walks the whole practice
 * in name order; at a million patients that is seconds per search instead of milliseconds.
 *
 * Broad prefixes are where that gets expensive: "ave" is 15,000 first names to sort for a page of
 * 25, and as many index entries to count. So:
 * - the total of a 1–3 character prefix is read from the counts the triggers keep (see
 *   patient-search-counts.ts), not counted; longer ones are counted live, term by term;
 * - a first-name or email term then reads whichever is shortest for its c matches: its own index,
 *   sorting all c (`term-index`); its 3-character search key in name order, about window × k / c
 *   entries where k patients share the key (`prefix-index`, exactly the page when the search is
 *   the key itself); or, for 1–2 characters, the name index in order, about window × N / c of the
 *   practice's N (`name-order`).
 * Descending pages keep `term-index`: the id tie-break is ascending in both orders, which no index
 * reads backwards. Where the plan does not wait on the counts, the page and its counts are one
 * statement.
 */
export async function indexedPatientSearch<R extends ObjectLiteral = ObjectLiteral>(
  manager: EntityManager,
  practiceId: string,
  q: string,
  page: SearchPage,
  columns?: PageColumns,
): Promise<SearchResult<R>> {
  const terms = searchTerms(q);
  const order = page.order === 'DESC' ? 'DESC' : 'ASC';
  const window = page.offset + page.limit;
  const keyed = usesSearchKeys(q);
  const query = <T>(sql: string, values: unknown[]) => manager.query(sql, values) as Promise<T[]>;
  const runPage = async (plans: Map<SearchTerm, SearchPagePlan>) => {
    const rows = await query<R & { pageId: string }>(...pageSql(practiceId, q, terms, plans, order, page, columns));
    return { ids: rows.map((row) => row.pageId), rows };
  };
  // The page and its counts in one statement: one round trip and one socket write fewer per
  // search, which on a busy 2-core machine is worth more than running the two side by side.
  const runPageWithCounts = async (plans: Map<SearchTerm, SearchPagePlan>, from: number, kept: string | null) => {
    const head = countColumns(from, kept);
    const rows = await query<R & { pageId: string | null }>(...pageSql(practiceId, q, terms, plans, order, page, columns, head));
    const found = rows.filter((row): row is R & { pageId: string } => row.pageId !== null);
    return { ids: found.map((row) => row.pageId), rows: found, counts: countsFrom(rows[0], from) };
  };
  const pinned = page.plan && page.plan !== 'auto' ? page.plan : null;
  const choose = (decide: (term: SearchTerm & { field: 'first' | 'email' }) => SearchPagePlan) => {
    const plans = new Map<SearchTerm, SearchPagePlan>();
    for (const term of terms) {
      if (order !== 'ASC' || (term.field !== 'first' && term.field !== 'email')) continue;
      // A pinned plan that cannot apply (no search key for this query) falls back to the term's index.
      plans.set(term, pinned === 'prefix-index' && !keyed ? 'term-index' : (pinned ?? decide(term as SearchTerm & { field: 'first' | 'email' })));
    }
    return plans;
  };
  // One statement counts: each term's live part (from `from` on) and, for `kept`, its kept counts.
  const countColumns = (from: number, kept: string | null): { columns: string; values: unknown[] } => {
    const live = from < terms.length ? countSql(practiceId, terms, from) : { columns: '', values: [] };
    const keptColumns = keptCountColumns(practiceId, kept);
    return { columns: [live.columns, keptColumns.sql].filter(Boolean).join(', '), values: [...live.values, ...keptColumns.values] };
  };
  const countsFrom = (row: Record<string, unknown> | undefined, from: number): { parts: number[]; kept: SearchPrefixCounts } => ({
    parts: terms.map((_, t) => (t < from ? 0 : Number(row?.[`t${t}`] ?? 0))),
    kept: keptCountsFrom(row),
  });
  const counts = async (from: number, kept: string | null) => {
    const { columns: sql, values } = countColumns(from, kept);
    const [row] = await query<Record<string, unknown>>(`SELECT ${sql}`, values);
    return countsFrom(row, from);
  };

  if (usesKeptCounts(q)) {
    // Totals kept by the triggers; only an MRN equal to the prefix is left to count live.
    const exact = terms.findIndex((term) => term.field === 'exact');
    const from = exact >= 0 ? exact : terms.length;
    // The search key answers a 3-character page whatever the counts; shorter ones need them first.
    if (keyed) {
      const {
        ids,
        rows,
        counts: { parts, kept },
      } = await runPageWithCounts(
        choose(() => 'prefix-index'),
        from,
        q,
      );
      return { ids, rows, total: kept.any + sum(parts) };
    }
    const { parts, kept } = await counts(from, q);
    const plans = choose((term) => (kept[term.field] ** 2 > window * kept.practiceTotal ? 'name-order' : 'term-index'));
    return { ...(await runPage(plans)), total: kept.any + sum(parts) };
  }
  if (keyed) {
    // How many patients a term matches, and how many share its search key, decide how its page is
    // read: so these are counted first, with the key's kept counts.
    const key = q.slice(0, SEARCH_COUNT_PREFIX_LENGTH);
    const decide = ({ parts, kept }: { parts: number[]; kept: SearchPrefixCounts }) =>
      choose((term) => (parts[terms.indexOf(term)]! ** 2 > window * kept[term.field] ? 'prefix-index' : 'term-index'));
    if (LIKELY_NARROW.test(q)) {
      // A digit or "@" is an MRN, a phone or an email: narrow for every term, almost always.
      // So the page is read by each term's own index together with the counts, and read again
      // only when the counts show a term was broad after all.
      const guessed = choose(() => 'term-index');
      const found = await runPageWithCounts(guessed, 0, key);
      const plans = decide(found.counts);
      const total = sum(found.counts.parts);
      if ([...plans].every(([term, plan]) => plan === guessed.get(term))) return { ids: found.ids, rows: found.rows, total };
      return { ...(await runPage(plans)), total };
    }
    const counted = await counts(0, key);
    return { ...(await runPage(decide(counted))), total: sum(counted.parts) };
  }
  const {
    ids,
    rows,
    counts: { parts },
  } = await runPageWithCounts(
    choose(() => 'term-index'),
    0,
    null,
  );
  return { ids, rows, total: sum(parts) };
}

function pageSql(
  practiceId: string,
  q: string,
  terms: SearchTerm[],
  plans: Map<SearchTerm, SearchPagePlan>,
  order: 'ASC' | 'DESC',
  page: SearchPage,
  columns?: PageColumns,
  head?: { columns: string; values: unknown[] },
): [string, unknown[]] {
  const sortKey = `lastName ${order}, firstName ${order}, id ASC`;
  const scans = terms.map((term) => {
    const plan = plans.get(term) ?? 'term-index';
    const key = SEARCH_KEY_COLUMNS.find((k) => k.source === (term.field === 'first' ? 'firstName' : 'email'))!;
    const index = plan === 'name-order' ? NAME_INDEX : plan === 'prefix-index' ? key.index : term.index;
    const keyed = plan === 'prefix-index' ? ` AND p.${key.name} = ?` : '';
    return {
      sql:
        `(SELECT p.id, p.lastName, p.firstName FROM patients p FORCE INDEX (${index}) WHERE p.practiceId = ?${keyed} AND (${term.where}) ` +
        `ORDER BY ${sortKey.replace(/(\w+) /g, 'p.$1 ')} LIMIT ${page.offset + page.limit})`,
      values: [practiceId, ...(keyed ? [q.slice(0, SEARCH_COUNT_PREFIX_LENGTH)] : []), ...term.values],
    };
  });
  const ids =
    `SELECT m.id, m.lastName, m.firstName FROM (${scans.map((scan) => scan.sql).join(' UNION ')}) m ` +
    `ORDER BY m.${sortKey.replace(/, /g, ', m.')} LIMIT ${page.limit} OFFSET ${page.offset}`;
  const values = scans.flatMap((scan) => scan.values);
  const select = ['pg.id AS pageId', columns?.select].filter(Boolean).join(', ');
  // The page's columns in the same round trip: 25 primary-key lookups joined to the page.
  let from = columns ? `(${ids}) pg JOIN patients p ON p.id = pg.id AND p.practiceId = ? ${columns.joins}` : `(${ids}) pg`;
  let fromValues = columns ? [...values, practiceId, ...columns.values] : values;
  if (head) {
    // The counts as a one-row table the page hangs off: an empty page still answers its counts,
    // as one row whose pageId is NULL.
    from = `(SELECT ${head.columns}) k LEFT JOIN (${from}) ON TRUE`;
    fromValues = [...head.values, ...fromValues];
  }
  return [`SELECT ${select}${head ? ', k.*' : ''} FROM ${from} ORDER BY pg.${sortKey.replace(/, /g, ', pg.')}`, fromValues];
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * The exact number of distinct patients matching any term, as a sum over disjoint parts:
 * term 1's matches, plus term 2's that are not term 1's, plus term 3's that are neither, and so on.
 * Each part is one index-only range scan that counts as it goes, where a UNION of ids would first
 * copy every match into a temporary table to remove duplicates (about twice the time at 10,000
 * matches). `NOT COALESCE(…, FALSE)` keeps a patient whose earlier-term column is NULL (no email,
 * no phone) in the later part: a bare `NOT (p.email LIKE ?)` would be NULL there and drop them.
 * `from` skips the first terms' own parts (their patients are counted elsewhere) but still
 * excludes them from the later parts. Column `t<i>` is term i's part; the columns go into a SELECT
 * with whatever else the same round trip reads.
 */
export function countSql(practiceId: string, terms: SearchTerm[], from = 0): { columns: string; values: unknown[] } {
  const values: unknown[] = [];
  const parts = terms.slice(from).map((term, i) => {
    const t = from + i;
    const earlier = terms.slice(0, t);
    values.push(practiceId, ...term.values, ...earlier.flatMap((e) => e.values));
    const exclusions = earlier.map((e) => ` AND NOT COALESCE((${e.where}), FALSE)`).join('');
    return `(SELECT COUNT(*) FROM patients p FORCE INDEX (${term.index}) WHERE p.practiceId = ? AND (${term.where})${exclusions}) AS t${t}`;
  });
  return { columns: parts.join(', '), values };
}
