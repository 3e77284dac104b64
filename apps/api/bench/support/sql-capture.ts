import mysql from 'mysql2/promise';
import { DataSource, Logger, QueryRunner } from 'typeorm';

export interface CapturedQuery {
  sql: string;
  parameters: unknown[];
}

/**
 * Wraps the app's TypeORM logger so the benchmark can see the exact SQL a request ran (the
 * service builds it with the query builder; reconstructing it here would drift). Captures only
 * while armed and only statements that read the given table; everything is still passed on.
 */
export class SqlCapture implements Logger {
  private armed: { table: RegExp; queries: CapturedQuery[] } | null = null;

  private constructor(private readonly inner: Logger) {}

  static install(dataSource: DataSource): SqlCapture {
    const capture = new SqlCapture(dataSource.logger);
    (dataSource as { logger: Logger }).logger = capture;
    return capture;
  }

  /** Collects the SELECTs reading `table` that run while `work` does. */
  async during(table: string, work: () => Promise<unknown>): Promise<CapturedQuery[]> {
    // Quoted by the query builder, bare in hand-written SQL (the indexed search).
    const armed = { table: new RegExp(`\\bFROM\\s+\`?${table}\`?(?![\\w])`, 'i'), queries: [] as CapturedQuery[] };
    this.armed = armed;
    try {
      await work();
    } finally {
      this.armed = null;
    }
    return armed.queries;
  }

  logQuery(query: string, parameters?: unknown[], queryRunner?: QueryRunner): void {
    if (this.armed && /^\s*SELECT/i.test(query) && this.armed.table.test(query)) {
      this.armed.queries.push({ sql: query, parameters: parameters ?? [] });
    }
    this.inner.logQuery(query, parameters, queryRunner);
  }

  logQueryError(error: string | Error, query: string, parameters?: unknown[], queryRunner?: QueryRunner): void {
    this.inner.logQueryError(error, query, parameters, queryRunner);
  }

  logQuerySlow(time: number, query: string, parameters?: unknown[], queryRunner?: QueryRunner): void {
    this.inner.logQuerySlow(time, query, parameters, queryRunner);
  }

  logSchemaBuild(message: string, queryRunner?: QueryRunner): void {
    this.inner.logSchemaBuild(message, queryRunner);
  }

  logMigration(message: string, queryRunner?: QueryRunner): void {
    this.inner.logMigration(message, queryRunner);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown, queryRunner?: QueryRunner): void {
    this.inner.log(level, message, queryRunner);
  }
}

export interface ExplainRow {
  id: number | null;
  select_type: string;
  table: string | null;
  type: string | null;
  possible_keys: string | null;
  key: string | null;
  key_len: string | null;
  ref: string | null;
  rows: number | null;
  Extra: string | null;
}

export async function explain(sql: mysql.Connection, query: CapturedQuery): Promise<ExplainRow[]> {
  const [rows] = await sql.query<mysql.RowDataPacket[]>(`EXPLAIN ${query.sql}`, query.parameters);
  return rows as unknown as ExplainRow[];
}

/** What the query actually did, from MariaDB's ANALYZE (it runs the statement). */
export interface ExecutedPlan {
  /** Rows the patients table (alias `p`) produced from its access method, over all loops. */
  patientRowsRead: number;
  /** InnoDB pages touched by the whole statement. */
  pagesAccessed: number;
  totalMs: number;
}

/**
 * MariaDB's `ANALYZE FORMAT=JSON` tells what EXPLAIN can only estimate: an ordered index scan
 * with LIMIT may stop after 25 rows or read the whole practice, and EXPLAIN shows both the same.
 * Null on servers without it (MySQL has EXPLAIN ANALYZE in another shape).
 */
export async function analyze(sql: mysql.Connection, query: CapturedQuery, patientsAlias = 'p'): Promise<ExecutedPlan | null> {
  let document: unknown;
  try {
    const [rows] = await sql.query<mysql.RowDataPacket[]>(`ANALYZE FORMAT=JSON ${query.sql}`, query.parameters as never);
    document = JSON.parse(String(Object.values(rows[0]!)[0]));
  } catch {
    return null;
  }
  let patientRowsRead = 0;
  let pagesAccessed = 0;
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.table_name === patientsAlias && typeof record.r_rows === 'number') {
      patientRowsRead += record.r_rows * (typeof record.r_loops === 'number' ? record.r_loops : 1);
    }
    if (typeof record.pages_accessed === 'number') pagesAccessed += record.pages_accessed;
    for (const value of Object.values(record)) walk(value);
  };
  walk(document);
  const block = (document as { query_block?: { r_total_time_ms?: number } }).query_block;
  return { patientRowsRead: Math.round(patientRowsRead), pagesAccessed, totalMs: block?.r_total_time_ms ?? NaN };
}

/** Literal SQL for the report: parameters inlined the way the driver sends them. */
export function inlineSql(query: CapturedQuery): string {
  return mysql.format(query.sql, query.parameters as Parameters<typeof mysql.format>[1], false, 'Z');
}
