import { Readable } from 'node:stream';
import { AuditActor } from '../audit/audit-events';

/**
 * What the sync needs of the chart import: an import row made before the export is ready (so a
 * refused token or a failed kick-off is an import `failed` with its reason), and a run that reads
 * the downloaded files one after another as streams.
 */
export interface SyncImportInput {
  fileName: string;
  stream: Readable;
  /** `errors`: a Bulk Data error file, each OperationOutcome line a reject. */
  format: 'ndjson' | 'errors';
}

export interface SyncImportCounts {
  patientsCreated: number;
  patientsUpdated: number;
  patientsUnchanged: number;
  entries: number;
  skipped: number;
  rejected: number;
}

export interface SyncImportProgress {
  processed: number;
  total: number | null;
  counts: SyncImportCounts;
}

export interface SyncImportResult {
  importId: string | null;
  status: 'done' | 'failed';
  error: string | null;
  counts: SyncImportCounts;
  rejects: { file: string; line: number; resourceType: string | null; resourceId: string | null; reason: string }[];
}

export interface SyncImporter {
  createImport(fields: { practiceId: string; source: 'sync'; fileName: string; actor: AuditActor; status: 'running' }): Promise<{ id: string }>;
  failImport(importId: string, reason: string): Promise<void>;
  run(request: {
    practiceId: string;
    source: 'sync';
    fileName: string;
    importId: string;
    actor: AuditActor;
    inputs: AsyncIterable<SyncImportInput>;
    total: number | null;
    onProgress?: (progress: SyncImportProgress) => void | Promise<void>;
  }): Promise<SyncImportResult>;
}

export const SYNC_IMPORTER = Symbol('SYNC_IMPORTER');

export const SYNC_ACTOR: AuditActor = { type: 'system', id: null, name: 'ResetDesk EHR sync' };
