import { Inject, Injectable, Optional } from '@nestjs/common';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, WriteStream } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DataSource } from 'typeorm';
import { AuditActor } from '../audit/audit-events';
import { AuditLogService } from '../audit/audit-log.service';
import { maskEmail, maskPhone } from '../common/masking';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { ClinicalEntry } from '../patients/clinical-entry.entity';
import { Patient } from '../patients/patient.entity';
import { ChartImport, ChartImportSource } from './chart-import.entity';
import { ChartImportRepository, ImportCounts, ImportIssueRow } from './chart-import.repository';
import {
  ENTRY_TYPES,
  FhirResource,
  MAPPED_ENTRY_FIELDS,
  MAPPED_PATIENT_FIELDS,
  MappedEntry,
  MappedPatient,
  MappingOptions,
  chartIdFor,
  entryIdFor,
  mapEntry,
  mapPatient,
} from './fhir-mapping';
import { ImportInput, readRecords } from './fhir-sources';

/** Resources written per transaction: big enough to amortise round trips, small enough to keep locks short. */
export const IMPORT_BATCH_SIZE = 500;
/** The rejects (and warnings) an import answers with; all of them, up to MAX_STORED_ISSUES, are stored. */
export const ISSUES_SHOWN = 100;
const MAX_STORED_ISSUES = 10_000;

export interface ChartImportRequest {
  practiceId: string;
  source: ChartImportSource;
  /** What the import is called in the list: an upload's file name, the CLI's paths, a sync's server. */
  fileName: string;
  /** Read one after another; an async iterable lets a caller download each file only when its turn comes. */
  inputs: Iterable<ImportInput> | AsyncIterable<ImportInput>;
  /** Who the `chart.imported` and `chart.contact_changed` events name. Default: the system. */
  actor?: AuditActor;
  /** Validate and count without writing anything (no import row, no event). */
  dryRun?: boolean;
  /** An import row made earlier (an upload's job); otherwise one is created. */
  importId?: string;
  /** How many resources the inputs hold, when known: the `progress.total`. */
  total?: number | null;
  /** Called after each batch, awaited (the job runner extends its claim here). */
  onProgress?: (progress: ChartImportProgress) => void | Promise<void>;
  /** The clock of the rows' timestamps (the demo seed passes a fixed one). */
  now?: () => Date;
  /** false: write charts but no import row and no audit event (the demo seed). */
  record?: boolean;
}

export interface ChartImportCounts {
  patientsCreated: number;
  patientsUpdated: number;
  patientsUnchanged: number;
  entries: number;
  skipped: number;
  rejected: number;
}

export interface ChartImportProgress {
  processed: number;
  total: number | null;
  counts: ChartImportCounts;
}

export interface ChartImportResult {
  importId: string | null;
  status: 'done' | 'failed';
  error: string | null;
  counts: ChartImportCounts;
  warnings: number;
  rejects: ImportIssueRow[];
  warningList: ImportIssueRow[];
}

interface PendingPatient {
  file: string;
  line: number;
  value: MappedPatient;
  warnings: string[];
}

interface PendingEntry {
  file: string;
  line: number;
  resourceType: string;
  resourceId: string;
  value: MappedEntry;
}

const CLI_ACTOR: AuditActor = { type: 'system', id: null, name: 'ResetDesk import (command line)' };
const SYNC_ACTOR: AuditActor = { type: 'system', id: null, name: 'ResetDesk EHR sync' };

/**
 * The one writer of charts: reads FHIR R4 NDJSON files and Bundles as streams, writes Patients
 * first and then the resources that reference them, in batched transactions keyed by practice +
 * FHIR id. Used by the CLI, the upload jobs, the EHR sync and the demo seed.
 */
@Injectable()
export class ChartImportService {
  private readonly repository = new ChartImportRepository();
  private readonly mapping: MappingOptions;

  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLogService,
    @Optional() @Inject(APP_CONFIG) config?: AppConfig,
  ) {
    this.mapping = { mrnSystem: config?.chartImport.mrnSystem ?? null, phoneRegion: config?.chartImport.phoneRegion ?? 'US' };
  }

  /**
   * An importer that records no import and writes no audit event: the demo seed's, which runs
   * before any practice or secret exists and only ever creates charts.
   */
  static unrecorded(dataSource: DataSource): ChartImportService {
    const refuse = { append: () => Promise.reject(new Error('This importer writes no audit events (run it with record: false on new charts)')) };
    return new ChartImportService(new UnitOfWork(dataSource), refuse as unknown as AuditLogService);
  }

  /** Creates the import row of a run that starts later (an upload waiting for its job). */
  async createImport(
    fields: Pick<ChartImport, 'practiceId' | 'source' | 'fileName'> &
      Partial<Pick<ChartImport, 'format' | 'filePath' | 'total'>> & { actor: AuditActor; status?: 'queued' | 'running' },
  ): Promise<ChartImport> {
    const now = new Date();
    const row: ChartImport = {
      id: randomUUID(),
      practiceId: fields.practiceId,
      status: fields.status ?? 'queued',
      source: fields.source,
      fileName: Array.from(fields.fileName).slice(0, 255).join(''),
      format: fields.format ?? null,
      filePath: fields.filePath ?? null,
      actorType: fields.actor.type === 'staff' ? 'staff' : 'system',
      actorId: fields.actor.id,
      actorName: fields.actor.name,
      patientsCreated: 0,
      patientsUpdated: 0,
      patientsUnchanged: 0,
      entries: 0,
      skipped: 0,
      rejected: 0,
      warnings: 0,
      processed: 0,
      total: fields.total ?? null,
      attempts: 0,
      error: null,
      claimedUntil: null,
      createdAt: now,
      startedAt: fields.status === 'running' ? now : null,
      finishedAt: null,
    };
    await this.uow.run((manager) => this.repository.insertImport(manager, row));
    return row;
  }

  /** Ends an import that could not run (a sync whose token was refused, an upload whose file vanished). */
  async failImport(importId: string, reason: string): Promise<void> {
    await this.uow.run((manager) => this.repository.finish(manager, importId, 'failed', reason, new Date()));
  }

  /** Runs an import to its end. Never throws for bad input: rejects are counted; a failure ends the import `failed`. */
  async run(request: ChartImportRequest): Promise<ChartImportResult> {
    const run = new ImportRun(this.repository, this.uow, this.audit, this.mapping, request);
    return run.execute(() =>
      request.record === false || request.dryRun
        ? Promise.resolve(null)
        : request.importId
          ? Promise.resolve(request.importId)
          : this.createImport({
              practiceId: request.practiceId,
              source: request.source,
              fileName: request.fileName,
              actor: actorOf(request),
              status: 'running',
              total: request.total ?? null,
            }).then((row) => row.id),
    );
  }
}

function actorOf(request: ChartImportRequest): AuditActor {
  return request.actor ?? (request.source === 'sync' ? SYNC_ACTOR : CLI_ACTOR);
}

/** One run's state: counts, the batches being filled, the spool of resources that wait for their patients. */
class ImportRun {
  private importId: string | null = null;
  private readonly counts: ImportCounts = {
    patientsCreated: 0,
    patientsUpdated: 0,
    patientsUnchanged: 0,
    entries: 0,
    skipped: 0,
    rejected: 0,
    warnings: 0,
    processed: 0,
  };
  private readonly shownRejects: ImportIssueRow[] = [];
  private readonly shownWarnings: ImportIssueRow[] = [];
  private pendingRejects: ImportIssueRow[] = [];
  private pendingWarnings: ImportIssueRow[] = [];
  private storedRejects = 0;
  private storedWarnings = 0;
  private patients: PendingPatient[] = [];
  private entries: PendingEntry[] = [];
  /** Dry runs write nothing, so the patients "in the import" are remembered here instead. */
  private readonly dryRunPatients = new Set<string>();
  private spoolDir: string | null = null;
  private spool: WriteStream | null = null;
  private spooled = 0;
  private lastSavedProcessed = 0;
  private readonly clock: () => Date;
  private readonly actor: AuditActor;

  constructor(
    private readonly repository: ChartImportRepository,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLogService,
    private readonly mapping: MappingOptions,
    private readonly request: ChartImportRequest,
  ) {
    this.clock = request.now ?? (() => new Date());
    this.actor = actorOf(request);
  }

  private get practiceId(): string {
    return this.request.practiceId;
  }

  private get writes(): boolean {
    return !this.request.dryRun;
  }

  async execute(open: () => Promise<string | null>): Promise<ChartImportResult> {
    let error: string | null = null;
    try {
      this.importId = await open();
      // A job run again after a restart starts from zero: its writes are upserts, its counts are not.
      if (this.importId && this.request.importId) await this.uow.run((manager) => this.repository.resetCounts(manager, this.importId!));
      await this.readInputs();
      await this.flushPatients();
      await this.closeSpool();
      await this.readSpool();
      await this.flushEntries();
      await this.flushIssues();
    } catch (caught) {
      error = describeFailure(caught);
    } finally {
      this.removeSpool();
    }
    if (this.importId) {
      await this.uow.run(async (manager) => {
        await this.repository.saveProgress(manager, this.importId!, this.counts, this.request.total ?? null);
        await this.repository.finish(manager, this.importId!, error ? 'failed' : 'done', error, new Date());
        if (!error) {
          await this.audit.append(
            manager,
            this.practiceId,
            {
              action: 'chart.imported',
              details: { source: this.request.source, fileName: this.request.fileName, importId: this.importId!, counts: this.publicCounts() },
            },
            this.actor,
          );
        }
      });
    }
    return {
      importId: this.importId,
      status: error ? 'failed' : 'done',
      error,
      counts: this.publicCounts(),
      warnings: this.counts.warnings,
      rejects: this.shownRejects,
      warningList: this.shownWarnings,
    };
  }

  private publicCounts(): ChartImportCounts {
    const { patientsCreated, patientsUpdated, patientsUnchanged, entries, skipped, rejected } = this.counts;
    return { patientsCreated, patientsUpdated, patientsUnchanged, entries, skipped, rejected };
  }

  // ---- pass 1: every input, Patients written, other chart resources spooled -------------------

  private async readInputs(): Promise<void> {
    for await (const input of this.request.inputs) {
      for await (const record of readRecords(input)) {
        if (record.outcome !== undefined) {
          this.reject({ file: record.file, line: record.line, resourceType: 'OperationOutcome', resourceId: null, reason: record.outcome });
          this.counts.processed++;
        } else if (!record.resource) {
          this.reject({ file: record.file, line: record.line, resourceType: null, resourceId: null, reason: record.error ?? 'not a FHIR resource' });
          this.counts.processed++;
        } else if (record.resource.resourceType === 'Patient') {
          this.addPatient(record.file, record.line, record.resource);
          if (this.patients.length >= IMPORT_BATCH_SIZE) await this.flushPatients();
        } else if (ENTRY_TYPES[record.resource.resourceType]) {
          await this.spoolResource(record.file, record.line, record.resource);
        } else {
          this.counts.skipped++;
          this.counts.processed++;
        }
        await this.maybeSaveProgress();
      }
    }
  }

  private addPatient(file: string, line: number, resource: FhirResource): void {
    const mapped = mapPatient(resource, this.mapping);
    if (!mapped.ok) {
      this.reject({ file, line, resourceType: 'Patient', resourceId: idOf(resource), reason: mapped.reason });
      this.counts.processed++;
      return;
    }
    this.patients.push({ file, line, value: mapped.value, warnings: mapped.warnings });
  }

  private async spoolResource(file: string, line: number, resource: FhirResource): Promise<void> {
    if (!this.spool) {
      this.spoolDir = mkdtempSync(join(tmpdir(), 'resetdesk-import-'));
      this.spool = createWriteStream(join(this.spoolDir, 'entries.ndjson'));
    }
    this.spooled++;
    if (!this.spool.write(`${JSON.stringify([file, line, resource])}\n`)) await once(this.spool, 'drain');
  }

  private async closeSpool(): Promise<void> {
    if (!this.spool) return;
    const spool = this.spool;
    await new Promise<void>((resolve, reject) => spool.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }

  private removeSpool(): void {
    if (this.spool && !this.spool.closed) this.spool.destroy();
    if (this.spoolDir) rmSync(this.spoolDir, { recursive: true, force: true });
    this.spool = null;
    this.spoolDir = null;
  }

  private async flushPatients(): Promise<void> {
    if (!this.patients.length) return;
    const batch = this.patients;
    this.patients = [];
    // The same Patient twice in one batch: the earlier one is written first, like two imports in a row;
    // later duplicates of a Patient within the batch are written by a following batch.
    const seen = new Set<string>();
    const now: PendingPatient[] = [];
    const later: PendingPatient[] = [];
    for (const item of batch) {
      (seen.has(item.value.fhirId) ? later : now).push(item);
      seen.add(item.value.fhirId);
    }
    await this.writePatients(now);
    if (later.length) {
      this.patients = later;
      await this.flushPatients();
    }
  }

  private async writePatients(batch: PendingPatient[]): Promise<void> {
    const delta = { created: 0, updated: 0, unchanged: 0 };
    const rejects: ImportIssueRow[] = [];
    const warnings: ImportIssueRow[] = [];
    const work = async (manager: import('typeorm').EntityManager) => {
      delta.created = delta.updated = delta.unchanged = 0;
      rejects.length = 0;
      warnings.length = 0;
      const ids = batch.map((item) => chartIdFor(this.practiceId, item.value.fhirId));
      const existing = await this.repository.lockPatients(manager, this.practiceId, ids);
      const holders = await this.repository.mrnHolders(manager, this.practiceId, [...new Set(batch.map((item) => item.value.mrn))]);
      const inserts: Patient[] = [];
      const now = this.clock();
      for (const [index, item] of batch.entries()) {
        const id = ids[index]!;
        const mrnKey = item.value.mrn.toLowerCase();
        const holder = holders.get(mrnKey);
        if (holder !== undefined && holder !== id) {
          rejects.push({
            file: item.file,
            line: item.line,
            resourceType: 'Patient',
            resourceId: item.value.fhirId,
            reason: `medical record number ${item.value.mrn} already belongs to another chart`,
          });
          continue;
        }
        holders.set(mrnKey, id);
        for (const warning of item.warnings)
          warnings.push({ file: item.file, line: item.line, resourceType: 'Patient', resourceId: item.value.fhirId, reason: warning });
        const current = existing.get(id);
        if (!current) {
          delta.created++;
          inserts.push({ id, practiceId: this.practiceId, ...item.value, contactChangedAt: null, createdAt: now, updatedAt: now });
          continue;
        }
        const changed = MAPPED_PATIENT_FIELDS.filter((field) => current[field] !== item.value[field]);
        if (current.fhirId !== item.value.fhirId) changed.push('fhirId' as never);
        if (!changed.length) {
          delta.unchanged++;
          continue;
        }
        delta.updated++;
        if (!this.writes) continue;
        const contactFields = (['email', 'phone'] as const).filter((field) => current[field] !== item.value[field]);
        const updated: Patient = { ...current, ...item.value, updatedAt: now, contactChangedAt: contactFields.length ? now : current.contactChangedAt };
        await this.repository.updatePatient(manager, updated, [...changed, 'fhirId', 'updatedAt', 'contactChangedAt']);
        for (const field of contactFields) {
          const mask = field === 'email' ? maskEmail : maskPhone;
          await this.audit.append(
            manager,
            this.practiceId,
            {
              action: 'chart.contact_changed',
              patientId: id,
              details: { field, before: mask(current[field]), after: mask(item.value[field]), importId: this.importId ?? '' },
            },
            this.actor,
          );
        }
      }
      if (this.writes) {
        await this.repository.insertPatients(manager, inserts);
        await this.saveProgressIn(manager, delta, rejects.length);
      } else {
        for (const row of inserts) this.dryRunPatients.add(row.id);
        for (const id of ids) if (existing.has(id)) this.dryRunPatients.add(id);
      }
    };
    try {
      if (this.writes) await this.uow.run(work);
      else await work(this.uow.dataSource.manager);
    } catch (error) {
      // The batch rolled back whole: each of its resources is reported, the import goes on.
      const reason = `not stored: the batch failed (${describeFailure(error)})`;
      for (const item of batch) this.reject({ file: item.file, line: item.line, resourceType: 'Patient', resourceId: item.value.fhirId, reason });
      this.counts.processed += batch.length;
      await this.afterBatch();
      return;
    }
    this.counts.patientsCreated += delta.created;
    this.counts.patientsUpdated += delta.updated;
    this.counts.patientsUnchanged += delta.unchanged;
    for (const reject of rejects) this.reject(reject);
    for (const warning of warnings) this.warn(warning);
    this.counts.processed += batch.length;
    await this.afterBatch();
  }

  // ---- pass 2: the spooled chart entries, their patients now in place -------------------------

  private async readSpool(): Promise<void> {
    if (!this.spoolDir || !this.spooled) return;
    const lines = createInterface({ input: createReadStream(join(this.spoolDir, 'entries.ndjson')), crlfDelay: Infinity });
    for await (const text of lines) {
      if (!text) continue;
      const [file, line, resource] = JSON.parse(text) as [string, number, FhirResource];
      const mapped = mapEntry(resource);
      if (!mapped) continue;
      if (!mapped.ok) {
        this.reject({ file, line, resourceType: resource.resourceType, resourceId: idOf(resource), reason: mapped.reason });
        this.counts.processed++;
        continue;
      }
      this.entries.push({ file, line, resourceType: resource.resourceType, resourceId: String(resource.id), value: mapped.value });
      if (this.entries.length >= IMPORT_BATCH_SIZE) await this.flushEntries();
    }
  }

  private async flushEntries(): Promise<void> {
    if (!this.entries.length) return;
    // One resource id twice in a batch: the later one waits for the next batch, like a later import.
    const seen = new Set<string>();
    const batch: PendingEntry[] = [];
    const later: PendingEntry[] = [];
    for (const item of this.entries) {
      (seen.has(item.value.fhirKey) ? later : batch).push(item);
      seen.add(item.value.fhirKey);
    }
    this.entries = later;
    await this.writeEntries(batch);
    if (this.entries.length) await this.flushEntries();
  }

  private async writeEntries(batch: PendingEntry[]): Promise<void> {
    let stored = 0;
    const rejects: ImportIssueRow[] = [];
    const work = async (manager: import('typeorm').EntityManager) => {
      stored = 0;
      rejects.length = 0;
      const patientIds = [...new Set(batch.map((item) => chartIdFor(this.practiceId, item.value.patientFhirId)))];
      const present = await this.repository.existingPatientIds(manager, this.practiceId, patientIds);
      const ids = batch.map((item) => entryIdFor(this.practiceId, item.value.fhirKey));
      const existing = await this.repository.findEntries(manager, this.practiceId, ids);
      const inserts: ClinicalEntry[] = [];
      const now = this.clock();
      for (const [index, item] of batch.entries()) {
        const patientId = chartIdFor(this.practiceId, item.value.patientFhirId);
        if (!present.has(patientId) && !this.dryRunPatients.has(patientId)) {
          rejects.push({
            file: item.file,
            line: item.line,
            resourceType: item.resourceType,
            resourceId: item.resourceId,
            reason: `patient Patient/${item.value.patientFhirId} is neither in this import nor in the practice`,
          });
          continue;
        }
        stored++;
        const id = ids[index]!;
        const { fhirKey: _key, patientFhirId: _patient, ...fields } = item.value;
        const row: ClinicalEntry = { id, practiceId: this.practiceId, patientId, ...fields, createdAt: now };
        const current = existing.get(id);
        if (!current) {
          inserts.push(row);
          continue;
        }
        const changed = MAPPED_ENTRY_FIELDS.filter((field) => field !== 'patientFhirId' && current[field] !== row[field]) as (keyof ClinicalEntry)[];
        if (current.patientId !== patientId) changed.push('patientId');
        if (changed.length && this.writes) await this.repository.updateEntry(manager, { ...row, createdAt: current.createdAt }, changed);
      }
      if (this.writes) {
        await this.repository.insertEntries(manager, inserts);
        if (this.importId) {
          const after = {
            ...this.counts,
            entries: this.counts.entries + stored,
            rejected: this.counts.rejected + rejects.length,
            processed: this.counts.processed + batch.length,
          };
          await this.repository.saveProgress(manager, this.importId, after, this.request.total ?? null);
        }
      }
    };
    try {
      if (this.writes) await this.uow.run(work);
      else await work(this.uow.dataSource.manager);
    } catch (error) {
      const reason = `not stored: the batch failed (${describeFailure(error)})`;
      for (const item of batch) this.reject({ file: item.file, line: item.line, resourceType: item.resourceType, resourceId: item.resourceId, reason });
      this.counts.processed += batch.length;
      await this.afterBatch();
      return;
    }
    this.counts.entries += stored;
    for (const reject of rejects) this.reject(reject);
    this.counts.processed += batch.length;
    await this.afterBatch();
  }

  // ---- counts, issues, progress ---------------------------------------------------------------

  /** The counts as they will be once this batch commits, written in the batch's own transaction. */
  private async saveProgressIn(
    manager: import('typeorm').EntityManager,
    delta: { created: number; updated: number; unchanged: number },
    rejected: number,
  ): Promise<void> {
    if (!this.importId) return;
    await this.repository.saveProgress(
      manager,
      this.importId,
      {
        ...this.counts,
        patientsCreated: this.counts.patientsCreated + delta.created,
        patientsUpdated: this.counts.patientsUpdated + delta.updated,
        patientsUnchanged: this.counts.patientsUnchanged + delta.unchanged,
        rejected: this.counts.rejected + rejected,
        processed: this.counts.processed + delta.created + delta.updated + delta.unchanged + rejected,
      },
      this.request.total ?? null,
    );
  }

  private reject(issue: ImportIssueRow): void {
    this.counts.rejected++;
    if (this.shownRejects.length < ISSUES_SHOWN) this.shownRejects.push(issue);
    if (this.storedRejects + this.pendingRejects.length < MAX_STORED_ISSUES) this.pendingRejects.push(issue);
  }

  private warn(issue: ImportIssueRow): void {
    this.counts.warnings++;
    if (this.shownWarnings.length < ISSUES_SHOWN) this.shownWarnings.push(issue);
    if (this.storedWarnings + this.pendingWarnings.length < MAX_STORED_ISSUES) this.pendingWarnings.push(issue);
  }

  private async flushIssues(): Promise<void> {
    if (!this.importId || (!this.pendingRejects.length && !this.pendingWarnings.length)) {
      this.pendingRejects = [];
      this.pendingWarnings = [];
      return;
    }
    const rejects = this.pendingRejects;
    const warnings = this.pendingWarnings;
    this.pendingRejects = [];
    this.pendingWarnings = [];
    await this.uow.run(async (manager) => {
      await this.repository.insertIssues(manager, this.importId!, this.practiceId, 'reject', this.storedRejects, rejects);
      await this.repository.insertIssues(manager, this.importId!, this.practiceId, 'warning', this.storedWarnings, warnings);
    });
    this.storedRejects += rejects.length;
    this.storedWarnings += warnings.length;
  }

  private async afterBatch(): Promise<void> {
    await this.flushIssues();
    this.lastSavedProcessed = this.counts.processed;
    await this.request.onProgress?.({ processed: this.counts.processed, total: this.request.total ?? null, counts: this.publicCounts() });
  }

  /** Lines that write nothing (skipped, unreadable) still move the progress bar. */
  private async maybeSaveProgress(): Promise<void> {
    if (this.counts.processed - this.lastSavedProcessed < IMPORT_BATCH_SIZE) return;
    this.lastSavedProcessed = this.counts.processed;
    if (this.importId) {
      await this.flushIssues();
      await this.uow.run((manager) => this.repository.saveProgress(manager, this.importId!, this.counts, this.request.total ?? null));
    }
    await this.request.onProgress?.({ processed: this.counts.processed, total: this.request.total ?? null, counts: this.publicCounts() });
  }
}

function idOf(resource: FhirResource): string | null {
  return typeof resource.id === 'string' ? resource.id.slice(0, 64) : null;
}

function describeFailure(error: unknown): string {
  const driver = (error as { driverError?: { code?: string; sqlMessage?: string } }).driverError;
  if (driver?.code) return `database error ${driver.code}`;
  return error instanceof Error ? error.message : String(error);
}
