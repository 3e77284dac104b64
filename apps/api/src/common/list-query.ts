import { DomainException } from './domain.exception';

/**
 * react-admin's ra-data-simple-rest protocol: `filter` (JSON object), `range` ([start, end],
 * inclusive) and `sort` ([field, "ASC"|"DESC"]). Anything malformed is a 400 naming the parameter.
 */
export interface ListQuery {
  filter: Record<string, unknown>;
  offset: number;
  limit: number;
  sort: { field: string; order: 'ASC' | 'DESC' } | null;
}

export const MAX_PAGE_SIZE = 500;
/** The furthest row a list can start from; far past any practice's lists, well inside SQL's integers. */
export const MAX_OFFSET = 1_000_000_000;

function parseJson(name: string, raw: unknown): unknown {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new DomainException('bad_request', `The ${name} parameter must be given once, as JSON.`);
  try {
    return JSON.parse(raw);
  } catch {
    throw new DomainException('bad_request', `The ${name} parameter is not valid JSON.`);
  }
}

export function parseListQuery(
  query: Record<string, unknown>,
  options: { sortable: readonly string[]; filters: readonly string[]; defaultSort?: ListQuery['sort'] },
): ListQuery {
  const filter = parseJson('filter', query.filter) ?? {};
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw new DomainException('bad_request', 'The filter parameter must be a JSON object, e.g. {"q":"smi"}.');
  }
  const unknown = Object.keys(filter).filter((key) => !options.filters.includes(key));
  if (unknown.length) {
    throw new DomainException('bad_request', `Unknown filter ${unknown.join(', ')}. Filters here: ${options.filters.join(', ')}.`);
  }

  let offset = 0;
  let limit = 25;
  const range = parseJson('range', query.range);
  if (range !== undefined) {
    // Safe integers only, and no further than MAX_OFFSET: a JSON number such as 1e21 is an
    // "integer" to JavaScript but reaches SQL as `1e+21`, which no database reads as a LIMIT.
    if (!Array.isArray(range) || range.length !== 2 || !range.every((n) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_OFFSET) || range[1] < range[0]) {
      throw new DomainException(
        'bad_request',
        `The range parameter must be [start, end] with whole numbers from 0 to ${MAX_OFFSET}, start ≤ end, e.g. [0,24].`,
      );
    }
    offset = range[0];
    limit = range[1] - range[0] + 1;
    if (limit > MAX_PAGE_SIZE) throw new DomainException('bad_request', `The range parameter asks for more than ${MAX_PAGE_SIZE} rows at once.`);
  } else if (Array.isArray((filter as Record<string, unknown>).id)) {
    // react-admin's getMany sends only filter={"id":[...]}, no range: it expects every id back,
    // not the first default page of them.
    const ids = (filter as Record<string, unknown[]>).id!;
    if (ids.length > MAX_PAGE_SIZE) throw new DomainException('bad_request', `The id filter asks for more than ${MAX_PAGE_SIZE} rows at once.`);
    limit = Math.max(limit, ids.length);
  }

  let sort = options.defaultSort ?? null;
  const sortRaw = parseJson('sort', query.sort);
  if (sortRaw !== undefined) {
    if (
      !Array.isArray(sortRaw) ||
      sortRaw.length !== 2 ||
      typeof sortRaw[0] !== 'string' ||
      typeof sortRaw[1] !== 'string' ||
      !['ASC', 'DESC'].includes(sortRaw[1].toUpperCase())
    ) {
      throw new DomainException('bad_request', 'The sort parameter must be [field, "ASC" or "DESC"], e.g. ["lastName","ASC"].');
    }
    if (!options.sortable.includes(sortRaw[0])) {
      throw new DomainException('bad_request', `Cannot sort by ${sortRaw[0]}. Sortable fields: ${options.sortable.join(', ')}.`);
    }
    sort = { field: sortRaw[0], order: sortRaw[1].toUpperCase() as 'ASC' | 'DESC' };
  }
  return { filter: filter as Record<string, unknown>, offset, limit, sort };
}

export function contentRange(resource: string, offset: number, count: number, total: number): string {
  const end = count === 0 ? offset : offset + count - 1;
  return `${resource} ${offset}-${end}/${total}`;
}

/**
 * LIKE with an escape character spelt the same in MySQL's and SQLite's string literals: SQLite
 * has no default LIKE escape, so a backslash-escaped `_` or `%` would find nothing there. Every
 * pattern built with escapeLike() goes with this clause.
 */
export const LIKE_ESCAPE = "ESCAPE '!'";

export function escapeLike(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

export function filterString(filter: Record<string, unknown>, key: string, label = key): string | undefined {
  const value = filter[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new DomainException('bad_request', `The ${label} filter must be a string.`);
  return value;
}

export function filterIds(filter: Record<string, unknown>): string[] | undefined {
  const value = filter.id;
  if (value === undefined) return undefined;
  const ids = Array.isArray(value) ? value : [value];
  if (!ids.every((id) => typeof id === 'string')) throw new DomainException('bad_request', 'The id filter must be a string or a list of strings.');
  return ids as string[];
}
