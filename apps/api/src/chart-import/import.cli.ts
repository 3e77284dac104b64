import 'reflect-metadata';
import { SingleBar } from 'cli-progress';
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DataSource } from 'typeorm';
import { AuditChainKeys } from '../audit/audit-chain-keys';
import { AuditLogService } from '../audit/audit-log.service';
import { AppSecrets } from '../common/app-secrets';
import { ConfigError, loadConfig } from '../config/app-config';
import { buildDataSourceOptions } from '../database/data-source-options';
import { UnitOfWork } from '../database/unit-of-work';
import { ChartImportRepository } from './chart-import.repository';
import { ChartImportProgress, ChartImportResult, ChartImportService } from './chart-import.service';
import { ImportInput, formatOf } from './fhir-sources';

const USAGE = 'Usage: npm run import:fhir -- --practice "<practice name or id>" [--dry-run] <file or folder>...';

/** Exit codes of the contract: 0 all imported, 2 finished with rejected records, 1 nothing could be imported. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_REJECTS = 2;

class CliError extends Error {}

interface Arguments {
  practice: string;
  dryRun: boolean;
  paths: string[];
}

export function parseArguments(argv: string[]): Arguments {
  let practice: string | null = null;
  let dryRun = false;
  const paths: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--practice') {
      practice = argv[++i] ?? null;
      if (!practice) throw new CliError(`--practice needs a practice name or id.\n${USAGE}`);
    } else if (arg.startsWith('--practice=')) practice = arg.slice('--practice='.length);
    else if (arg === '--dry-run') dryRun = true;
    else if (arg.startsWith('--')) throw new CliError(`Unknown option ${arg}.\n${USAGE}`);
    else paths.push(arg);
  }
  if (!practice?.trim()) throw new CliError(`Which practice? --practice is required.\n${USAGE}`);
  if (!paths.length) throw new CliError(`No file or folder to import.\n${USAGE}`);
  return { practice: practice.trim(), dryRun, paths };
}

const IMPORTABLE = /\.(ndjson|jsonl|json)$/i;

/** Files of the given paths: a folder contributes its .ndjson/.json files, in name order. */
export function expandPaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const path of paths) {
    const absolute = resolve(path);
    let stat;
    try {
      stat = statSync(absolute);
    } catch (error) {
      throw new CliError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (error as Error).message}`);
    }
    if (stat.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(absolute)
          .filter((name) => IMPORTABLE.test(name))
          .sort();
      } catch (error) {
        throw new CliError(`Cannot read the folder ${path}: ${(error as Error).message}`);
      }
      if (!names.length) throw new CliError(`The folder ${path} holds no .ndjson or .json files.`);
      files.push(...names.map((name) => join(absolute, name)));
    } else files.push(absolute);
  }
  for (const file of files) {
    try {
      statSync(file);
      createReadStream(file).close();
    } catch (error) {
      throw new CliError(`Cannot read ${file}: ${(error as Error).message}`);
    }
  }
  return files;
}

async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (line.trim()) n++;
  return n;
}

export function summaryLine(result: Pick<ChartImportResult, 'counts'>): string {
  const c = result.counts;
  const patients = c.patientsCreated + c.patientsUpdated + c.patientsUnchanged;
  return `Imported ${patients} patients (${c.patientsCreated} created, ${c.patientsUpdated} updated, ${c.patientsUnchanged} unchanged), ${c.entries} chart entries, ${c.skipped} skipped, ${c.rejected} rejected`;
}

function progressReporter(total: number | null): { update(progress: ChartImportProgress): void; stop(): void } {
  if (process.stdout.isTTY && total) {
    const bar = new SingleBar({ format: 'Importing [{bar}] {value}/{total} resources | {rate}/s | {eta_formatted} left', hideCursor: true });
    const started = Date.now();
    bar.start(total, 0, { rate: 0 });
    return {
      update: (p) => bar.update(p.processed, { rate: Math.round(p.processed / Math.max(0.001, (Date.now() - started) / 1000)) }),
      stop: () => bar.stop(),
    };
  }
  let last = 0;
  return {
    update: (p) => {
      if (Date.now() - last < 2000) return;
      last = Date.now();
      console.log(`Progress: ${p.processed}${total ? ` of ${total}` : ''} resources processed`);
    },
    stop: () => undefined,
  };
}

async function main(argv: string[]): Promise<number> {
  let args: Arguments;
  let files: string[];
  let config;
  try {
    args = parseArguments(argv);
    files = expandPaths(args.paths);
    config = loadConfig();
  } catch (error) {
    if (error instanceof CliError || error instanceof ConfigError) {
      console.error(error.message);
      return EXIT_FAILED;
    }
    throw error;
  }
  const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    const practice = await new ChartImportRepository().findPractice(dataSource.manager, args.practice);
    if (!practice) {
      console.error(`Unknown practice "${args.practice}": no practice has that name, slug or id (nothing imported).`);
      return EXIT_FAILED;
    }
    const ndjsonOnly = files.every((file) => formatOf({ fileName: file }) === 'ndjson');
    let total: number | null = null;
    if (ndjsonOnly) {
      total = 0;
      for (const file of files) total += await countLines(file);
    }
    const uow = new UnitOfWork(dataSource);
    const importer = new ChartImportService(uow, new AuditLogService(uow, new AuditChainKeys(new AppSecrets(config))), config);
    const progress = progressReporter(total);
    const inputs: ImportInput[] = files.map((file) => ({ fileName: basename(file), stream: createReadStream(file) }));
    console.log(
      `${args.dryRun ? 'Checking (dry run, nothing is written)' : 'Importing'} ${files.length} file${files.length === 1 ? '' : 's'} into ${practice.name}`,
    );
    const result = await importer.run({
      practiceId: practice.id,
      source: 'cli',
      fileName: files.map((file) => basename(file)).join(', '),
      inputs,
      dryRun: args.dryRun,
      total,
      onProgress: (p) => progress.update(p),
    });
    progress.stop();
    if (result.status === 'failed') {
      console.error(`The import failed: ${result.error}`);
      console.log(summaryLine(result));
      return EXIT_FAILED;
    }
    for (const reject of result.rejects) {
      console.error(
        `Rejected ${reject.file}:${reject.line}${reject.resourceType ? ` ${reject.resourceType}${reject.resourceId ? `/${reject.resourceId}` : ''}` : ''}: ${reject.reason}`,
      );
    }
    if (result.counts.rejected > result.rejects.length)
      console.error(`… and ${result.counts.rejected - result.rejects.length} more rejected (see the import in the console).`);
    for (const warning of result.warningList)
      console.error(`Warning ${warning.file}:${warning.line} ${warning.resourceType ?? ''}/${warning.resourceId ?? ''}: ${warning.reason}`);
    console.log(summaryLine(result));
    return result.counts.rejected ? EXIT_REJECTS : EXIT_OK;
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`The import could not run: ${error.message}`);
      process.exit(EXIT_FAILED);
    },
  );
}
