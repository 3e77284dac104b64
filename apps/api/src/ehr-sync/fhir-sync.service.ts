import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Readable } from 'node:stream';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { BulkExportClient, BulkExportLimits, ExportFile, ExportManifest, fileLabel } from './bulk-export-client';
import { FhirSyncError, hostOf } from './fhir-http';
import { FhirSyncConfig } from './fhir-sync.config';
import { FhirSyncStateRepository } from './fhir-sync-state.repository';
import { SmartBackendClient } from './smart-backend-client';
import { SYNC_ACTOR, SYNC_IMPORTER, SyncImportInput, SyncImportProgress, SyncImportResult, SyncImporter } from './sync-importer';

/** A run holds its practice's lease this long past its last renewal; a process that died frees it by then. */
export const LEASE_MS = 5 * 60_000;
const RENEW_EVERY_MS = 60_000;

export interface FhirSyncOptions {
  /** A scheduled run: only when the practice's next run is due, and it moves the next one on. */
  scheduled?: boolean;
  onWaiting?: (progress: string | null) => void;
  onManifest?: (manifest: ExportManifest, total: number | null) => void;
  onProgress?: (progress: SyncImportProgress) => void;
  /** Aborting it (shutdown) stops waiting for the server. */
  signal?: AbortSignal;
  /** Tests shorten the waits of the Bulk Data client. */
  limits?: Partial<BulkExportLimits>;
}

export type FhirSyncOutcome =
  /** Another process is syncing the practice (or, scheduled, its time has not come). */
  { status: 'busy' } | { status: 'not_due' } | (SyncImportResult & { importId: string; since: string | null; transactionTime: string | null });

/**
 * One sync of a practice's charts from its EHR: take the practice's lease, create the import
 * (source `sync`), ask the EHR for everything changed since the last complete export, stream
 * each file into the importer, and only when all of it was imported record the export's
 * transactionTime as the next `_since`.
 *
 * A run that fails part-way (a download cut off, the server gone) leaves `_since` where it was,
 * so the next run asks for the same changes again. The import writes charts keyed by practice
 * and FHIR id and changes nothing when a chart is already as the EHR says, so whatever the failed
 * run had written is simply found unchanged: retries converge on the EHR's state instead of
 * doubling or half-applying it.
 */
@Injectable()
export class FhirSyncService {
  private readonly logger = new Logger('FhirSync');
  private readonly repository = new FhirSyncStateRepository();
  private readonly owner = `${hostname().slice(0, 30)}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** One per process: its token (memory only, never stored) serves the runs that come within its lifetime. */
  private smart: SmartBackendClient | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(SYNC_IMPORTER) private readonly importer: SyncImporter,
  ) {}

  get configured(): FhirSyncConfig | null {
    return this.config.fhirSync;
  }

  resolvePractice(nameOrId: string): Promise<{ id: string; name: string } | null> {
    return this.uow.run((manager) => this.repository.findPractice(manager, nameOrId));
  }

  async state(practiceId: string) {
    return this.uow.run((manager) => this.repository.find(manager, practiceId));
  }

  async sync(practiceId: string, options: FhirSyncOptions = {}): Promise<FhirSyncOutcome> {
    const config = this.config.fhirSync;
    if (!config) throw new FhirSyncError('discovery', 'FHIR_BASE_URL is not set: the EHR sync is not configured');
    const now = new Date();
    const scheduledNext = options.scheduled && config.intervalMinutes ? new Date(now.getTime() + config.intervalMinutes * 60_000) : null;
    const acquired = await this.uow.run((manager) =>
      this.repository.acquire(manager, practiceId, this.owner, now, new Date(now.getTime() + LEASE_MS), scheduledNext),
    );
    if (!acquired) {
      if (options.scheduled) {
        const state = await this.state(practiceId);
        if (!state?.leaseOwner || (state.leaseExpiresAt && state.leaseExpiresAt < new Date())) return { status: 'not_due' };
      }
      return { status: 'busy' };
    }

    const lost = new AbortController();
    const signal = options.signal ? AbortSignal.any([lost.signal, options.signal]) : lost.signal;
    const renewal = setInterval(() => {
      this.uow
        .run((manager) => this.repository.renew(manager, practiceId, this.owner, new Date(Date.now() + LEASE_MS)))
        .then((ours) => {
          if (!ours) lost.abort();
        })
        .catch(() => undefined);
    }, RENEW_EVERY_MS);
    renewal.unref();
    try {
      return await this.runLeased(config, practiceId, signal, options);
    } finally {
      clearInterval(renewal);
      await this.uow
        .run((manager) => this.repository.release(manager, practiceId, this.owner))
        .catch((error) => {
          this.logger.warn(`Could not release the sync lease of practice ${practiceId} (${(error as Error).message}); it expires by itself`);
        });
    }
  }

  private async runLeased(config: FhirSyncConfig, practiceId: string, signal: AbortSignal, options: FhirSyncOptions): Promise<FhirSyncOutcome> {
    const since = (await this.state(practiceId))?.lastTransactionTime ?? null;
    const fileName = `${hostOf(config.baseUrl)} $export ${since ? `changes since ${since}` : 'everything (first sync)'}`;
    const importRow = await this.importer.createImport({ practiceId, source: 'sync', fileName, actor: SYNC_ACTOR, status: 'running' });
    this.smart ??= new SmartBackendClient(config);
    const smart = this.smart;
    const bulk = new BulkExportClient(config, smart, { signal, limits: options.limits, onWaiting: options.onWaiting });

    let statusUrl: string | null = null;
    let manifest: ExportManifest;
    try {
      statusUrl = await bulk.kickOff(since);
      manifest = await bulk.waitForManifest(statusUrl);
    } catch (error) {
      const reason = describeSyncFailure(error);
      await this.importer.failImport(importRow.id, reason);
      if (statusUrl) await bulk.deleteJob(statusUrl);
      this.logger.warn(`EHR sync of practice ${practiceId} failed: ${reason}`);
      return { importId: importRow.id, status: 'failed', error: reason, counts: emptyCounts(), rejects: [], since, transactionTime: null };
    }

    const total = manifest.output.every((file) => typeof file.count === 'number') ? manifest.output.reduce((sum, file) => sum + (file.count ?? 0), 0) : null;
    options.onManifest?.(manifest, total);
    const result = await this.importer.run({
      practiceId,
      source: 'sync',
      fileName,
      importId: importRow.id,
      actor: SYNC_ACTOR,
      inputs: this.inputs(bulk, manifest, signal),
      total,
      onProgress: options.onProgress,
    });
    // The files have been read (or never will be): the server may delete them either way.
    await bulk.deleteJob(statusUrl);

    if (result.status === 'done') {
      const recorded = await this.uow.run((manager) =>
        this.repository.complete(manager, practiceId, this.owner, manifest.transactionTime, importRow.id, new Date()),
      );
      if (!recorded)
        this.logger.warn(`EHR sync of practice ${practiceId} finished after its lease passed to another process; its transactionTime was not recorded`);
      this.logger.log(`EHR sync of practice ${practiceId} imported the export of ${manifest.transactionTime}`);
      return { ...result, importId: importRow.id, since, transactionTime: manifest.transactionTime };
    }
    this.logger.warn(`EHR sync of practice ${practiceId} failed: ${result.error}`);
    return { ...result, importId: importRow.id, since, transactionTime: null };
  }

  /** The manifest's files as the importer reads them: Patients first, the server's error files last, each opened only when its turn comes. */
  private async *inputs(bulk: BulkExportClient, manifest: ExportManifest, signal: AbortSignal): AsyncGenerator<SyncImportInput> {
    const output = [...manifest.output].sort((a, b) => Number(b.type === 'Patient') - Number(a.type === 'Patient'));
    const files: [ExportFile, 'ndjson' | 'errors'][] = [
      ...output.map((file) => [file, 'ndjson'] as [ExportFile, 'ndjson']),
      ...manifest.error.map((file) => [file, 'errors'] as [ExportFile, 'errors']),
    ];
    for (const [file, format] of files) {
      if (signal.aborted)
        throw new FhirSyncError(
          'timeout',
          'The sync stopped before it had read every file (ResetDesk was stopped, or its lease passed to another process); the next run starts again',
        );
      yield {
        fileName: fileLabel(file),
        format,
        stream: opened(() => bulk.openFile(file, manifest.requiresAccessToken, format === 'errors' ? 'error' : 'output')),
      };
    }
  }
}

/** A stream that connects only when first read: a file waits its turn instead of holding a connection open. */
function opened(open: () => Promise<Readable>): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    const stream = await open();
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } finally {
      stream.destroy();
    }
  }
  return Readable.from(bytes(), { objectMode: false });
}

export function describeSyncFailure(error: unknown): string {
  if (error instanceof FhirSyncError) return error.message;
  return `The sync failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`;
}

function emptyCounts() {
  return { patientsCreated: 0, patientsUpdated: 0, patientsUnchanged: 0, entries: 0, skipped: 0, rejected: 0 };
}
