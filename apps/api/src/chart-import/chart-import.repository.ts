import { randomUUID } from 'node:crypto';
import { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral } from 'typeorm';
import { Sql } from '../database/sql';
import { ClinicalEntry } from '../patients/clinical-entry.entity';
import { Patient } from '../patients/patient.entity';
import { ChartImport, ChartImportIssue, ChartImportStatus } from './chart-import.entity';

export interface ImportIssueRow {
  file: string;
  line: number;
  resourceType: string | null;
  resourceId: string | null;
  reason: string;
}

export type ImportCounts = Pick<
  ChartImport,
  'patientsCreated' | 'patientsUpdated' | 'patientsUnchanged' | 'entries' | 'skipped' | 'rejected' | 'warnings' | 'processed'
>;

/** The SQL of chart imports: charts written by practice + FHIR id, import rows, their issues and job claims. */
export class ChartImportRepository {
  // ---- charts ---------------------------------------------------------------------------------

  /** The charts among `ids` that exist in the practice, locked for the batch's transaction. */
  async lockPatients(manager: EntityManager, practiceId: string, ids: string[]): Promise<Map<string, Patient>> {
    if (!ids.length) return new Map();
    const sql = Sql.on(manager);
    const rows = await sql.select(Patient, `SELECT * FROM patients WHERE practiceId = ? AND id IN (${marks(ids)})${sql.forUpdate}`, [practiceId, ...ids]);
    return new Map(rows.map((row) => [row.id, row]));
  }

  /** Which chart holds each of `mrns` in the practice (the MRN is unique per practice). */
  async mrnHolders(manager: EntityManager, practiceId: string, mrns: string[]): Promise<Map<string, string>> {
    if (!mrns.length) return new Map();
    const rows = await Sql.on(manager).rows<{ id: string; mrn: string }>(`SELECT id, mrn FROM patients WHERE practiceId = ? AND mrn IN (${marks(mrns)})`, [
      practiceId,
      ...mrns,
    ]);
    return new Map(rows.map((row) => [row.mrn.toLowerCase(), row.id]));
  }

  async existingPatientIds(manager: EntityManager, practiceId: string, ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await Sql.on(manager).rows<{ id: string }>(`SELECT id FROM patients WHERE practiceId = ? AND id IN (${marks(ids)})`, [practiceId, ...ids]);
    return new Set(rows.map((row) => row.id));
  }

  async insertPatients(manager: EntityManager, rows: Patient[]): Promise<void> {
    await insertMany(manager, Patient, rows);
  }

  async updatePatient(manager: EntityManager, row: Patient, fields: readonly (keyof Patient)[]): Promise<void> {
    await updateRow(manager, Patient, row, fields);
  }

  async findEntries(manager: EntityManager, practiceId: string, ids: string[]): Promise<Map<string, ClinicalEntry>> {
    if (!ids.length) return new Map();
    const rows = await Sql.on(manager).select(ClinicalEntry, `SELECT * FROM clinical_entries WHERE practiceId = ? AND id IN (${marks(ids)})`, [
      practiceId,
      ...ids,
    ]);
    return new Map(rows.map((row) => [row.id, row]));
  }

  async insertEntries(manager: EntityManager, rows: ClinicalEntry[]): Promise<void> {
    await insertMany(manager, ClinicalEntry, rows);
  }

  async updateEntry(manager: EntityManager, row: ClinicalEntry, fields: readonly (keyof ClinicalEntry)[]): Promise<void> {
    await updateRow(manager, ClinicalEntry, row, fields);
  }

  /** A practice named by its id, slug or name (case-insensitive), as an operator types it. */
  async findPractice(manager: EntityManager, nameOrId: string): Promise<{ id: string; name: string } | null> {
    const rows = await Sql.on(manager).rows<{ id: string; name: string }>(
      'SELECT id, name FROM practices WHERE id = ? OR LOWER(slug) = LOWER(?) OR LOWER(name) = LOWER(?) ORDER BY name LIMIT 2',
      [nameOrId, nameOrId, nameOrId],
    );
    return rows.length === 1 ? rows[0]! : null;
  }

  // ---- imports --------------------------------------------------------------------------------

  async insertImport(manager: EntityManager, row: ChartImport): Promise<void> {
    await Sql.on(manager).insert(ChartImport, row);
  }

  async findImport(manager: EntityManager, id: string, practiceId?: string): Promise<ChartImport | null> {
    const sql = Sql.on(manager);
    const [row] = practiceId
      ? await sql.select(ChartImport, 'SELECT * FROM chart_imports WHERE id = ? AND practiceId = ?', [id, practiceId])
      : await sql.select(ChartImport, 'SELECT * FROM chart_imports WHERE id = ?', [id]);
    return row ?? null;
  }

  async listImports(
    manager: EntityManager,
    practiceId: string,
    offset: number,
    limit: number,
    order: 'ASC' | 'DESC',
  ): Promise<{ items: ChartImport[]; total: number }> {
    const sql = Sql.on(manager);
    const items = await sql.select(
      ChartImport,
      `SELECT * FROM chart_imports WHERE practiceId = ? ORDER BY createdAt ${order}, id ${order} LIMIT ${Number(limit)} OFFSET ${Number(offset)}`,
      [practiceId],
    );
    const [count] = await sql.rows<{ n: number }>('SELECT COUNT(*) AS n FROM chart_imports WHERE practiceId = ?', [practiceId]);
    return { items, total: Number(count?.n ?? 0) };
  }

  async saveProgress(manager: EntityManager, id: string, counts: ImportCounts, total: number | null): Promise<void> {
    await Sql.on(manager).execute(
      'UPDATE chart_imports SET patientsCreated = ?, patientsUpdated = ?, patientsUnchanged = ?, entries = ?, skipped = ?, rejected = ?, warnings = ?, processed = ?, total = ? WHERE id = ?',
      [
        counts.patientsCreated,
        counts.patientsUpdated,
        counts.patientsUnchanged,
        counts.entries,
        counts.skipped,
        counts.rejected,
        counts.warnings,
        counts.processed,
        total,
        id,
      ],
    );
  }

  async markRunning(manager: EntityManager, id: string, now: Date, claimedUntil: Date | null): Promise<void> {
    const sql = Sql.on(manager);
    await sql.execute(
      "UPDATE chart_imports SET status = 'running', startedAt = COALESCE(startedAt, ?), claimedUntil = ?, attempts = attempts + 1 WHERE id = ?",
      [sql.timestamp(now), claimedUntil ? sql.timestamp(claimedUntil) : null, id],
    );
  }

  async extendClaim(manager: EntityManager, id: string, claimedUntil: Date): Promise<void> {
    const sql = Sql.on(manager);
    await sql.execute("UPDATE chart_imports SET claimedUntil = ? WHERE id = ? AND status = 'running'", [sql.timestamp(claimedUntil), id]);
  }

  async finish(manager: EntityManager, id: string, status: Extract<ChartImportStatus, 'done' | 'failed'>, error: string | null, now: Date): Promise<void> {
    const sql = Sql.on(manager);
    await sql.execute('UPDATE chart_imports SET status = ?, error = ?, finishedAt = ?, claimedUntil = NULL, filePath = NULL WHERE id = ?', [
      status,
      error,
      sql.timestamp(now),
      id,
    ]);
  }

  /** Zero the counts of a job that starts again from its file (after a restart). */
  async resetCounts(manager: EntityManager, id: string): Promise<void> {
    await Sql.on(manager).execute(
      'UPDATE chart_imports SET patientsCreated = 0, patientsUpdated = 0, patientsUnchanged = 0, entries = 0, skipped = 0, rejected = 0, warnings = 0, processed = 0 WHERE id = ?',
      [id],
    );
    await Sql.on(manager).execute('DELETE FROM chart_import_issues WHERE importId = ?', [id]);
  }

  /**
   * Claims the next upload job: a queued one, or a running one whose claim expired (its process
   * stopped). FOR UPDATE SKIP LOCKED on MySQL, so several dispatchers take different jobs.
   */
  async claimNext(manager: EntityManager, now: Date): Promise<ChartImport | null> {
    const sql = Sql.on(manager);
    const lock = sql.isMysql ? ' FOR UPDATE SKIP LOCKED' : '';
    const [row] = await sql.select(
      ChartImport,
      `SELECT * FROM chart_imports WHERE source = 'upload' AND (status = 'queued' OR (status = 'running' AND claimedUntil < ?)) ORDER BY createdAt LIMIT 1${lock}`,
      [sql.timestamp(now)],
    );
    return row ?? null;
  }

  async insertIssues(
    manager: EntityManager,
    importId: string,
    practiceId: string,
    kind: 'reject' | 'warning',
    firstSeq: number,
    issues: ImportIssueRow[],
  ): Promise<void> {
    if (!issues.length) return;
    await insertMany(
      manager,
      ChartImportIssue,
      issues.map((issue, i) => ({
        id: randomUUID(),
        importId,
        practiceId,
        kind,
        seq: firstSeq + i,
        file: issue.file.slice(0, 255),
        line: issue.line,
        resourceType: issue.resourceType?.slice(0, 64) ?? null,
        resourceId: issue.resourceId?.slice(0, 64) ?? null,
        reason: issue.reason.slice(0, 500),
      })),
    );
  }

  async listIssues(manager: EntityManager, importId: string, kind: 'reject' | 'warning', limit: number): Promise<ChartImportIssue[]> {
    return Sql.on(manager).select(ChartImportIssue, `SELECT * FROM chart_import_issues WHERE importId = ? AND kind = ? ORDER BY seq LIMIT ${Number(limit)}`, [
      importId,
      kind,
    ]);
  }
}

function marks(values: unknown[]): string {
  return values.map(() => '?').join(', ');
}

function quote(manager: EntityManager, name: string): string {
  return manager.connection.options.type === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

/** SQLite binds at most 32766 values a statement; MySQL far more. Rows are split to stay well inside. */
const MAX_BOUND_VALUES = 30_000;

/** One multi-row INSERT per chunk: a batch of charts is one round trip, not one per row. */
async function insertMany<E extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<E>, rows: E[]): Promise<void> {
  if (!rows.length) return;
  const metadata: EntityMetadata = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const columns = metadata.columns;
  const head = `INSERT INTO ${quote(manager, metadata.tableName)} (${columns.map((c) => quote(manager, c.databaseName)).join(', ')}) VALUES `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const perStatement = Math.max(1, Math.floor(MAX_BOUND_VALUES / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values: unknown[] = [];
    for (const row of chunk) for (const column of columns) values.push(driver.preparePersistentValue(column.getEntityValue(row), column));
    await manager.query(head + chunk.map(() => tuple).join(', '), values);
  }
}

async function updateRow<E extends ObjectLiteral>(manager: EntityManager, entity: EntityTarget<E>, row: E, fields: readonly (keyof E)[]): Promise<void> {
  const metadata: EntityMetadata = manager.connection.getMetadata(entity);
  const driver = manager.connection.driver;
  const columns = fields.map((field) => metadata.findColumnWithPropertyName(String(field))!);
  const idColumn = metadata.findColumnWithPropertyName('id')!;
  await manager.query(
    `UPDATE ${quote(manager, metadata.tableName)} SET ${columns.map((c) => `${quote(manager, c.databaseName)} = ?`).join(', ')} WHERE ${quote(manager, 'id')} = ?`,
    [...columns.map((c) => driver.preparePersistentValue(c.getEntityValue(row), c)), driver.preparePersistentValue(row.id, idColumn)],
  );
}
