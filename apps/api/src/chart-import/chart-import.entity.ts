import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

export type ChartImportStatus = 'queued' | 'running' | 'done' | 'failed';
export type ChartImportSource = 'upload' | 'cli' | 'sync';
export type ChartImportFormat = 'ndjson' | 'bundle';

/**
 * One import of FHIR charts into a practice (an upload, a command-line run or a sync), with its
 * live counts. Uploads are also the job: `queued` rows are claimed by a dispatcher, and a claim
 * that outlives its process is found by `claimedUntil` and resumed or failed.
 */
@Entity('chart_imports')
@Index('IDX_chart_imports_practice_created', ['practiceId', 'createdAt'])
@Index('IDX_chart_imports_due', ['status', 'claimedUntil'])
export class ChartImport {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 16 }) status: ChartImportStatus;
  @Column({ type: 'varchar', length: 16 }) source: ChartImportSource;
  @Column({ type: 'varchar', length: 255 }) fileName: string;
  @Column({ type: 'varchar', length: 16, nullable: true }) format: ChartImportFormat | null;
  /** Where an upload waits on disk until its job has run (removed afterwards). */
  @Column({ type: 'varchar', length: 1000, nullable: true }) filePath: string | null;
  @Column({ type: 'varchar', length: 16 }) actorType: 'staff' | 'system';
  @Column({ type: 'varchar', length: 36, nullable: true }) actorId: string | null;
  @Column({ type: 'varchar', length: 160, nullable: true }) actorName: string | null;
  @Column({ type: 'int', default: 0 }) patientsCreated: number;
  @Column({ type: 'int', default: 0 }) patientsUpdated: number;
  @Column({ type: 'int', default: 0 }) patientsUnchanged: number;
  @Column({ type: 'int', default: 0 }) entries: number;
  @Column({ type: 'int', default: 0 }) skipped: number;
  @Column({ type: 'int', default: 0 }) rejected: number;
  @Column({ type: 'int', default: 0 }) warnings: number;
  @Column({ type: 'int', default: 0 }) processed: number;
  @Column({ type: 'int', nullable: true }) total: number | null;
  @Column({ type: 'int', default: 0 }) attempts: number;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column(nullableTimestamp) claimedUntil: Date | null;
  @Column(timestampColumn) createdAt: Date;
  @Column(nullableTimestamp) startedAt: Date | null;
  @Column(nullableTimestamp) finishedAt: Date | null;
}

/** A rejected resource (or a warning about one) with where it was found. */
@Entity('chart_import_issues')
@Index('IDX_chart_import_issues_import', ['importId', 'kind', 'seq'])
export class ChartImportIssue {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) importId: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 8 }) kind: 'reject' | 'warning';
  @Column({ type: 'int' }) seq: number;
  @Column({ type: 'varchar', length: 255 }) file: string;
  @Column({ type: 'int' }) line: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) resourceType: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) resourceId: string | null;
  @Column({ type: 'varchar', length: 500 }) reason: string;
}
