import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { FhirSyncOutcome, FhirSyncService } from './fhir-sync.service';

/** How often a process looks whether the practice's next sync is due (at most; less with a shorter interval). */
const CHECK_EVERY_MS = 60_000;

/**
 * FHIR_SYNC_INTERVAL_MINUTES: runs the sync of FHIR_SYNC_PRACTICE on a schedule, in every
 * process that dispatches background work (the API with RUN_DISPATCHER on, `npm run worker`).
 * Each process only looks; the practice's row in the database decides: the lease lets one run
 * at a time, and `nextRunAt`, moved on by whoever takes the lease, makes one run per interval
 * however many processes look.
 */
@Injectable()
export class FhirSyncScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('FhirSyncSchedule');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  private readonly stopping = new AbortController();
  private practiceId: string | null = null;
  private warnedUnknown = false;

  constructor(
    private readonly sync: FhirSyncService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get enabled(): boolean {
    return Boolean(this.config.fhirSync?.intervalMinutes && this.config.runDispatcher);
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    const every = Math.min(CHECK_EVERY_MS, this.config.fhirSync!.intervalMinutes! * 60_000);
    this.logger.log(`EHR sync of "${this.config.fhirSync!.schedulePractice}" every ${this.config.fhirSync!.intervalMinutes} minutes`);
    const tick = () => {
      this.timer = setTimeout(() => {
        void this.runDue().finally(() => {
          if (!this.stopping.signal.aborted) tick();
        });
      }, every);
      // The API must be able to exit; the worker keeps itself alive.
      this.timer.unref();
    };
    // First look right away: a new installation syncs at start, not an interval later.
    setImmediate(() => void this.runDue().finally(() => !this.stopping.signal.aborted && tick()));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** Settles when the look in progress (if any) has ended. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** One look: runs the scheduled sync when it is due and no other process runs it. */
  runDue(): Promise<FhirSyncOutcome | null> {
    if (this.running || this.stopping.signal.aborted) return Promise.resolve(null);
    const work = this.look().finally(() => (this.running = null));
    this.running = work;
    return work;
  }

  private async look(): Promise<FhirSyncOutcome | null> {
    try {
      if (!this.practiceId) {
        const practice = await this.sync.resolvePractice(this.config.fhirSync!.schedulePractice!);
        if (!practice) {
          if (!this.warnedUnknown)
            this.logger.error(
              `FHIR_SYNC_PRACTICE "${this.config.fhirSync!.schedulePractice}" names no practice (give its exact name, slug or id); no scheduled sync runs`,
            );
          this.warnedUnknown = true;
          return null;
        }
        this.practiceId = practice.id;
      }
      return await this.sync.sync(this.practiceId, { scheduled: true, signal: this.stopping.signal });
    } catch (error) {
      this.logger.warn(`Scheduled EHR sync could not run: ${(error as Error).message}`);
      return null;
    }
  }
}
