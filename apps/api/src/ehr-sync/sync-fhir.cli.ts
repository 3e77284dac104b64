import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { SingleBar } from 'cli-progress';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { ConfigError, loadConfig } from '../config/app-config';
import { FhirSyncService } from './fhir-sync.service';
import { SyncImportCounts } from './sync-importer';

const USAGE = `Usage: npm run sync:fhir -- --practice "<practice name or id>"
       npm run sync:fhir -- --print-jwks     the public key set to register with the EHR

Pulls the charts changed since the last complete sync from the EHR's FHIR server (FHIR_BASE_URL,
Bulk Data $export with SMART Backend Services) and imports them as one import (source: sync).
Exit code 0: imported, nothing rejected; 2: imported with rejected records; 1: nothing imported.`;

/**
 * `npm run sync:fhir`: one sync, now, with the import command's summary line and exit codes. It
 * takes the same database lease as the scheduled syncs, so it never runs beside one.
 */
async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if ('error' in args) {
    console.error(`${args.error}\n\n${USAGE}`);
    return 1;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Cannot sync: ${error.message}`);
      return 1;
    }
    throw error;
  }
  if (!config.fhirSync) {
    console.error('Cannot sync: FHIR_BASE_URL is not set (with FHIR_CLIENT_ID and FHIR_PRIVATE_KEY_FILE: see "Staying in sync with the EHR" in the README)');
    return 1;
  }
  if (args.printJwks) {
    console.log(JSON.stringify({ keys: [config.fhirSync.publicJwk] }, null, 2));
    return 0;
  }

  const app = await NestFactory.createApplicationContext(AppModule.forRoot({ ...config, runDispatcher: false, logLevel: process.env.LOG_LEVEL || 'silent' }), {
    logger: false,
  });
  try {
    await app.get(DataSource).runMigrations({ transaction: 'each' });
    const sync = app.get(FhirSyncService);
    const practice = await sync.resolvePractice(args.practice!);
    if (!practice) {
      console.error(`Cannot sync: no practice is named "${args.practice}" (give its exact name, slug or id)`);
      return 1;
    }
    const progress = new Progress(Boolean(process.stderr.isTTY));
    const outcome = await sync.sync(practice.id, {
      onWaiting: (note) => progress.waiting(note),
      onManifest: (manifest, total) => progress.start(manifest.output.length, total),
      onProgress: (p) => progress.update(p.processed),
    });
    progress.stop();
    if (outcome.status === 'busy') {
      console.error(`Cannot sync: another sync of ${practice.name} is running right now; try again when it has finished`);
      return 1;
    }
    if (outcome.status === 'not_due') return 0;
    for (const reject of outcome.rejects) {
      console.error(
        `Rejected ${reject.file}:${reject.line}${reject.resourceType ? ` ${reject.resourceType}${reject.resourceId ? `/${reject.resourceId}` : ''}` : ''}: ${reject.reason}`,
      );
    }
    if (outcome.counts.rejected > outcome.rejects.length)
      console.error(`… and ${outcome.counts.rejected - outcome.rejects.length} more rejected (see import ${outcome.importId} in Chart imports).`);
    if (outcome.status === 'failed') {
      console.error(`Sync failed: ${outcome.error}`);
      console.log(summaryLine(outcome.counts));
      return 1;
    }
    console.log(`${outcome.since ? `Changes since ${outcome.since}` : 'First sync: everything'}; next sync asks for changes since ${outcome.transactionTime}`);
    console.log(summaryLine(outcome.counts));
    return outcome.counts.rejected > 0 ? 2 : 0;
  } finally {
    await app.close();
  }
}

export function summaryLine(c: SyncImportCounts): string {
  const patients = c.patientsCreated + c.patientsUpdated + c.patientsUnchanged;
  return `Imported ${patients} patients (${c.patientsCreated} created, ${c.patientsUpdated} updated, ${c.patientsUnchanged} unchanged), ${c.entries} chart entries, ${c.skipped} skipped, ${c.rejected} rejected`;
}

function parseArgs(argv: string[]): { practice?: string; printJwks: boolean; help: boolean } | { error: string } {
  let practice: string | undefined;
  let printJwks = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--print-jwks') printJwks = true;
    else if (arg === '--practice') practice = argv[++i];
    else if (arg.startsWith('--practice=')) practice = arg.slice('--practice='.length);
    else return { error: `Unknown argument "${arg}"` };
  }
  if (!help && !printJwks && !practice?.trim()) return { error: 'Say which practice: --practice "<practice name or id>"' };
  return { practice: practice?.trim(), printJwks, help };
}

/** A bar (count, rate, time left) on a terminal; a plain line every few seconds otherwise. */
class Progress {
  private bar: SingleBar | null = null;
  private total: number | null = null;
  private lastLine = 0;
  private announcedWait = false;
  private readonly started = Date.now();

  constructor(private readonly tty: boolean) {}

  waiting(note: string | null): void {
    if (!this.announcedWait || !this.tty) console.error(`Waiting for the EHR to prepare the export${note ? ` (${note})` : ''}…`);
    this.announcedWait = true;
  }

  start(files: number, total: number | null): void {
    this.total = total;
    console.error(`Export ready: ${files} files${total !== null ? `, ${total} resources` : ''}`);
    if (this.tty && total) {
      this.bar = new SingleBar({ format: '{bar} {value}/{total} resources | {rate}/s | {eta_formatted} left', stream: process.stderr, hideCursor: true });
      this.bar.start(total, 0, { rate: 0 });
    }
    this.lastLine = Date.now();
  }

  update(processed: number): void {
    const seconds = Math.max(1, (Date.now() - this.started) / 1000);
    if (this.bar) {
      this.bar.update(Math.min(processed, this.total ?? processed), { rate: Math.round(processed / seconds) });
      return;
    }
    if (Date.now() - this.lastLine < 5000) return;
    this.lastLine = Date.now();
    console.error(`${processed}${this.total ? `/${this.total}` : ''} resources imported (${Math.round(processed / seconds)}/s)`);
  }

  stop(): void {
    this.bar?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`Sync failed: ${error.message}`);
    process.exit(1);
  },
);
