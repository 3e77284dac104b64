import 'reflect-metadata';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { MAPLE_ADMIN, StaffClient } from '../support/staff-client';
import { TestApp, startTestApp } from '../support/test-app';
import { TEST_APP_SECRET, mysqlSkip } from '../support/test-env';
import { condition, patient } from './fhir-fixtures';

// The compiled CLI, as `npm run import:fhir` runs it (dist/test/chart-import -> dist/src/chart-import).
const CLI = resolve(__dirname, '../../src/chart-import/import.cli.js');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('import CLI (npm run import:fhir)', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let folder: string;
  let dataDir: string;

  /** Runs the CLI with stdout a pipe (not a TTY), as in a cron job or CI log. */
  const cli = (args: string[]): Promise<CliRun> =>
    new Promise((done, fail) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', DATABASE_URL: t.db.url, APP_SECRET: TEST_APP_SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', fail);
      child.on('close', (code) => done({ code, stdout, stderr }));
    });
  const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);
  const write = (name: string, lines: unknown[]) => {
    const path = join(folder, name);
    writeFileSync(path, lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n') + '\n');
    return path;
  };
  const countRows = async (table: string) => Number((await t.dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);

  before(async () => {
    t = await startTestApp({ seedPatients: 1, label: 'importcli' });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    folder = mkdtempSync(join(tmpdir(), 'resetdesk-cli-'));
    dataDir = mkdtempSync(join(tmpdir(), 'resetdesk-cli-data-'));
  });
  after(async () => {
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('--dry-run checks the file and writes nothing', async () => {
    const file = write('dry.ndjson', [patient({ id: 'dry-1', mrn: 'DRY-1' }), condition('dry-c1', 'dry-1')]);
    const before = { patients: await countRows('patients'), entries: await countRows('clinical_entries'), imports: await countRows('chart_imports') };
    const run = await cli(['--practice', MAPLE_GROVE_ID, '--dry-run', file]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(lastLine(run.stdout), 'Imported 1 patients (1 created, 0 updated, 0 unchanged), 1 chart entries, 0 skipped, 0 rejected');
    assert.equal(await countRows('patients'), before.patients);
    assert.equal(await countRows('clinical_entries'), before.entries);
    assert.equal(await countRows('chart_imports'), before.imports);
  });

  it('imports a folder, exits 0 with the summary as the last line, prints plain progress lines, and the run is listed with source cli', async () => {
    const sub = join(folder, 'export');
    mkdirSync(sub);
    const patients = [1, 2, 3].map((i) => patient({ id: `cli-${i}`, mrn: `CLI-${i}`, family: `Cli${i}` }));
    writeFileSync(join(sub, 'Patient.000.ndjson'), ndjsonLines(patients));
    writeFileSync(
      join(sub, 'Condition.000.ndjson'),
      ndjsonLines([condition('cli-c1', 'cli-1'), condition('cli-c2', 'cli-1'), condition('cli-c3', 'cli-2'), condition('cli-c4', 'cli-3')]),
    );
    writeFileSync(join(sub, 'notes.txt'), 'not an export file');

    const run = await cli(['--practice', MAPLE_GROVE_ID, sub]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(lastLine(run.stdout), 'Imported 3 patients (3 created, 0 updated, 0 unchanged), 4 chart entries, 0 skipped, 0 rejected');
    // Not a TTY: no progress bar redrawn with carriage returns or escape codes, only whole lines.
    assert.doesNotMatch(run.stdout, /[\r\u001b]/);
    const progress = run.stdout.split('\n').filter((line) => line.startsWith('Progress: '));
    assert.ok(progress.length >= 1, run.stdout);
    for (const line of progress) assert.match(line, /^Progress: \d+ of 7 resources processed$/);

    const again = await cli(['--practice', MAPLE_GROVE_ID, sub]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(lastLine(again.stdout), 'Imported 3 patients (0 created, 0 updated, 3 unchanged), 4 chart entries, 0 skipped, 0 rejected');

    const list = await admin.get('/api/imports');
    assert.equal(list.status, 200);
    const cliRuns = (list.body as Record<string, any>[]).filter((row) => row.source === 'cli');
    assert.equal(cliRuns.length, 2);
    assert.equal(cliRuns[0].status, 'done');
    assert.equal(cliRuns[0].fileName, 'Condition.000.ndjson, Patient.000.ndjson');
    assert.equal(cliRuns[0].counts.patientsUnchanged, 3);
  });

  it('a file with a bad line exits 2 and lists the reject', async () => {
    const file = write('bad.ndjson', [patient({ id: 'bad-1', mrn: 'BAD-1' }), '{ this is not json', patient({ id: 'bad-2', mrn: 'BAD-2' })]);
    const run = await cli(['--practice', MAPLE_GROVE_ID, file]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^Rejected bad\.ndjson:2\b.*$/m);
    assert.equal(lastLine(run.stdout), 'Imported 2 patients (2 created, 0 updated, 0 unchanged), 0 chart entries, 0 skipped, 1 rejected');
  });

  it('an unknown practice exits 1 and says so', async () => {
    const file = write('one.ndjson', [patient({ id: 'one-1' })]);
    const run = await cli(['--practice', 'No Such Clinic', file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Unknown practice "No Such Clinic"/);
  });

  it('an unreadable path exits 1 and names it', async () => {
    const missing = join(folder, 'missing.ndjson');
    const run = await cli(['--practice', MAPLE_GROVE_ID, missing]);
    assert.equal(run.code, 1);
    assert.ok(run.stderr.includes(`Cannot read ${missing}`), run.stderr);
  });

  it('bad arguments exit 1 with the reason and the usage', async () => {
    const file = write('args.ndjson', [patient({ id: 'args-1' })]);
    const noPractice = await cli([file]);
    assert.equal(noPractice.code, 1);
    assert.match(noPractice.stderr, /--practice is required/);
    assert.match(noPractice.stderr, /Usage: npm run import:fhir/);
    const unknown = await cli(['--practice', MAPLE_GROVE_ID, '--fast', file]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /Unknown option --fast/);
    const noFile = await cli(['--practice', MAPLE_GROVE_ID]);
    assert.equal(noFile.code, 1);
    assert.match(noFile.stderr, /No file or folder to import/);
  });
});

function ndjsonLines(resources: Record<string, unknown>[]): string {
  return resources.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
