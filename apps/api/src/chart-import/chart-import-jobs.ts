import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, rmSync } from 'node:fs';
import { RequestContext } from '../common/request-context';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { ChartImport } from './chart-import.entity';
import { ChartImportRepository } from './chart-import.repository';
import { ChartImportService } from './chart-import.service';

/** How long a claim holds an upload job; the runner renews it while the import makes progress. */
export const IMPORT_CLAIM_MS = 60_000;
const RENEW_AFTER_MS = IMPORT_CLAIM_MS / 4;
const POLL_MS = 1_000;
/** A job that keeps dying (say, it runs the process out of memory) is given up after this many starts. */
const MAX_ATTEMPTS = 3;

/**
 * Runs uploaded imports. A job is a `chart_imports` row: claimed in a short transaction (FOR
 * UPDATE SKIP LOCKED on MySQL, like the outbox, so several processes never run one twice),
 * marked `running` with a claim that the run keeps renewing. A process that stops mid-import
 * leaves an expired claim: the next runner starts that import again from its file (writes are
 * upserts, so nothing is doubled) or, when the file is gone or it failed too often, ends it
 * `failed` with the reason. Runs in the API when RUN_DISPATCHER is on, and in `npm run worker`.
 */
@Injectable()
export class ChartImportJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ChartImportJobs');
  private readonly repository = new ChartImportRepository();
  private loop: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private wakeRequested = false;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly importer: ChartImportService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.runDispatcher) this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.poll();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  /** A new upload is waiting: look now rather than at the next poll. */
  notify(): void {
    this.wakeRequested = true;
    this.wake?.();
  }

  private async poll(): Promise<void> {
    while (!this.stopping) {
      this.wakeRequested = false;
      let ran = false;
      try {
        ran = await this.runOnce();
      } catch (error) {
        this.logger.warn(`Could not claim an import job (${(error as Error).message}); will keep trying`);
      }
      if (this.stopping || ran) continue;
      if (this.wakeRequested) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  /** Claims and runs one job; answers whether there was one. */
  async runOnce(): Promise<boolean> {
    const job = await this.uow.run(async (manager) => {
      const now = new Date();
      const row = await this.repository.claimNext(manager, now);
      if (!row) return null;
      if (row.status === 'running') {
        // Its process stopped mid-import: start again from the file, or say why not.
        const reason =
          !row.filePath || !existsSync(row.filePath)
            ? 'The server stopped before this import finished and the uploaded file is gone; upload it again.'
            : row.attempts >= MAX_ATTEMPTS
              ? `The import stopped ${row.attempts} times before finishing; upload a smaller file or check the server's memory and logs.`
              : null;
        if (reason) {
          await this.repository.finish(manager, row.id, 'failed', reason, now);
          if (row.filePath) rmSync(row.filePath, { force: true });
          return { row, failed: true };
        }
      }
      await this.repository.markRunning(manager, row.id, now, new Date(now.getTime() + IMPORT_CLAIM_MS));
      return { row, failed: false };
    });
    if (!job) return false;
    if (!job.failed) await this.execute(job.row);
    return true;
  }

  private async execute(row: ChartImport): Promise<void> {
    let renewedAt = Date.now();
    const path = row.filePath!;
    try {
      await RequestContext.run({ requestId: `import-${randomUUID()}`, ip: null, userAgent: null }, () =>
        this.importer.run({
          practiceId: row.practiceId,
          source: row.source,
          fileName: row.fileName,
          importId: row.id,
          total: row.total,
          actor: { type: row.actorType, id: row.actorId, name: row.actorName },
          inputs: [{ fileName: row.fileName, stream: createReadStream(path), format: row.format ?? undefined }],
          onProgress: async () => {
            if (Date.now() - renewedAt < RENEW_AFTER_MS) return;
            renewedAt = Date.now();
            await this.uow.run((manager) => this.repository.extendClaim(manager, row.id, new Date(renewedAt + IMPORT_CLAIM_MS)));
          },
        }),
      );
    } finally {
      rmSync(path, { force: true });
    }
  }
}
