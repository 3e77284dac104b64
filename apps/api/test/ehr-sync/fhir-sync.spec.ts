import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory';
import { FhirSyncOutcome, FhirSyncService } from '../../src/ehr-sync/fhir-sync.service';
import { ClientKeys, FakeFhirServer, condition, makeClientKeys, outcome, patient } from '../support/fake-fhir-server';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/fixtures';
import { TestApp, startTestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

const CLIENT_ID = 'resetdesk-test-clinic';
const FAST = { max429InARow: 30, defaultPollMs: 0 };

interface ImportRow {
  id: string;
  status: string;
  source: string;
  error: string | null;
  patientsCreated: number;
  patientsUpdated: number;
  patientsUnchanged: number;
  entries: number;
  rejected: number;
}

describe('EHR sync: FHIR Bulk Data $export into the chart import', { skip: mysqlSkip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'resetdesk-sync-'));
  let fhir: FakeFhirServer;
  let keys: ClientKeys;
  let t: TestApp;
  let sync: FhirSyncService;

  const run = async (practiceId = MAPLE_GROVE_ID, limits = FAST) => {
    const result = await sync.sync(practiceId, { limits });
    assert.ok('importId' in result, `expected a run, got ${result.status}`);
    return result as Extract<FhirSyncOutcome, { importId: string }>;
  };
  const importRow = async (id: string): Promise<ImportRow> => (await t.dataSource.query('SELECT * FROM chart_imports WHERE id = ?', [id]))[0];
  const since = async (practiceId = MAPLE_GROVE_ID): Promise<string | null> => (await sync.state(practiceId))?.lastTransactionTime ?? null;
  const syncImports = async (): Promise<number> => Number((await t.dataSource.query("SELECT COUNT(*) AS n FROM chart_imports WHERE source = 'sync'"))[0].n);
  const chartOf = async (practiceId: string, fhirId: string) =>
    (await t.dataSource.query('SELECT * FROM patients WHERE practiceId = ? AND fhirId = ?', [practiceId, fhirId]))[0];
  const forget = async (practiceId: string) => t.dataSource.query('DELETE FROM fhir_sync_states WHERE practiceId = ?', [practiceId]);

  before(async () => {
    fhir = await new FakeFhirServer().start();
    keys = await makeClientKeys(dir, 'ES384');
    fhir.register(CLIENT_ID, keys.jwks);
    t = await startTestApp({
      label: 'fhirsync',
      seedPatients: 2,
      env: {
        FHIR_BASE_URL: fhir.baseUrl,
        FHIR_CLIENT_ID: CLIENT_ID,
        FHIR_PRIVATE_KEY_FILE: keys.privateKeyFile,
        FHIR_KEY_ID: keys.kid,
        FHIR_GROUP_ID: 'clinic-all',
      },
    });
    sync = t.app.get(FhirSyncService);
  });
  after(async () => {
    await t?.close();
    await fhir?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fhir.clear();
    fhir.resources = [];
    fhir.exportErrors = [];
    fhir.throttleStatusPolls = 0;
    fhir.cutDownloads.clear();
  });

  it("first sync: everything exported is imported as one `sync` import, the server's error file as rejects, and the export deleted", async () => {
    fhir.put(patient('first-1'), patient('first-2'), patient('first-3'), condition('cond-1', 'first-1'), condition('cond-2', 'first-2', 'Asthma'));
    fhir.exportErrors = [outcome('processing', 'Patient/broken-7: could not be serialised')] as never;
    const kickOffs = fhir.exportRequests.length;

    const result = await run();

    assert.equal(result.status, 'done', result.error ?? '');
    assert.deepEqual(result.counts, { patientsCreated: 3, patientsUpdated: 0, patientsUnchanged: 0, entries: 2, skipped: 0, rejected: 1 });
    assert.deepEqual(
      result.rejects.map((r) => [r.file, r.line, r.resourceType, r.reason]),
      [['errors.ndjson', 1, 'OperationOutcome', 'Patient/broken-7: could not be serialised']],
    );
    const kickOff = fhir.exportRequests.slice(kickOffs);
    assert.equal(kickOff.length, 1);
    assert.equal(kickOff[0].path, '/Group/clinic-all/$export');
    assert.equal(kickOff[0].query._since, undefined, 'a first sync asks for everything');
    assert.ok(
      fhir.downloads.every((d) => /^Bearer /.test(d.authorization ?? '')),
      'every download carried the token',
    );
    assert.equal(fhir.deleted.length, 1, 'the status URL was deleted');

    const row = await importRow(result.importId);
    assert.equal(row.source, 'sync');
    assert.equal(row.status, 'done');
    assert.equal(row.patientsCreated, 3);
    const chart = await chartOf(MAPLE_GROVE_ID, 'first-1');
    assert.equal(chart.email, 'first-1@example.org');
    assert.equal(chart.phone, '+15558107203');
    assert.equal(await since(), fhir.clock, "the export's transactionTime is the next _since");
  });

  it('incremental sync: asks only for changes since the last complete export, and imports just those', async () => {
    await forget(MAPLE_GROVE_ID);
    fhir.put(patient('inc-1'), patient('inc-2'));
    assert.equal((await run()).status, 'done');
    const first = await since();

    fhir.advanceClock(3_600_000);
    fhir.put(patient('inc-1', { telecom: [{ system: 'email', value: 'new-address@example.org' }] }));
    const second = await run();

    assert.equal(fhir.exportRequests.at(-1)!.query._since, first);
    assert.equal(second.status, 'done', second.error ?? '');
    assert.deepEqual(second.counts, { patientsCreated: 0, patientsUpdated: 1, patientsUnchanged: 0, entries: 0, skipped: 0, rejected: 0 });
    assert.equal((await chartOf(MAPLE_GROVE_ID, 'inc-1')).email, 'new-address@example.org');
    assert.equal(await since(), fhir.clock);
  });

  it('a 429 storm is waited out; one that does not end fails the import with its reason and keeps _since', async () => {
    fhir.put(patient('storm-1'));
    fhir.throttleStatusPolls = 10;
    const weathered = await run();
    assert.equal(weathered.status, 'done', weathered.error ?? '');
    assert.ok(fhir.statusPolls.filter((p) => p.status === 429).length >= 10);
    const kept = await since();

    fhir.advanceClock(60_000);
    fhir.throttleStatusPolls = 1000;
    const storm = await run(MAPLE_GROVE_ID, { ...FAST, max429InARow: 4 });
    assert.equal(storm.status, 'failed');
    const row = await importRow(storm.importId);
    assert.equal(row.status, 'failed');
    assert.match(row.error ?? '', /kept answering 429 Too Many Requests to the export status \(5 times in a row\)/);
    assert.equal(await since(), kept, 'a failed run leaves _since where it was');
  });

  it('a download cut mid-file fails the whole run; the next run asks for the same changes and ends where an uncut run would', async () => {
    await forget(RIVERSIDE_ID);
    // More Patients than one import batch, so the cut comes after some were already written.
    const many = Array.from({ length: 1100 }, (_, i) => patient(`cut-${i}`));
    fhir.put(...many, condition('cut-cond', 'cut-3', 'Cut-test condition'));
    fhir.cutDownloads.set('Patient', 1);

    const cut = await run(RIVERSIDE_ID);
    assert.equal(cut.status, 'failed');
    const row = await importRow(cut.importId);
    assert.equal(row.status, 'failed');
    assert.match(row.error ?? '', /^The download of Patient\.000\.ndjson was cut off after \d+ of \d+ bytes/);
    assert.equal(row.rejected, 0, 'the half line at the cut is neither imported nor rejected');
    assert.equal(await since(RIVERSIDE_ID), null, 'not recorded as complete');
    assert.equal(await chartOf(RIVERSIDE_ID, 'cut-1099'), undefined, 'nothing past the cut');
    assert.equal(
      Number(
        (await t.dataSource.query("SELECT COUNT(*) AS n FROM clinical_entries WHERE practiceId = ? AND description = 'Cut-test condition'", [RIVERSIDE_ID]))[0]
          .n,
      ),
      0,
    );

    const retry = await run(RIVERSIDE_ID);
    assert.equal(fhir.exportRequests.at(-1)!.query._since, undefined, 'the same window again');
    assert.equal(retry.status, 'done', retry.error ?? '');
    assert.equal(retry.counts.patientsCreated + retry.counts.patientsUnchanged, 1100);
    assert.equal(retry.counts.patientsUpdated, 0);
    assert.equal(retry.counts.entries, 1);
    const rows = await t.dataSource.query("SELECT COUNT(*) AS n, COUNT(DISTINCT fhirId) AS d FROM patients WHERE practiceId = ? AND fhirId LIKE 'cut-%'", [
      RIVERSIDE_ID,
    ]);
    assert.deepEqual([Number(rows[0].n), Number(rows[0].d)], [1100, 1100], 'every chart once');
    assert.equal(await since(RIVERSIDE_ID), fhir.clock);
  });

  it('failures a person can act on: refused token, kick-off and download errors each end the import failed with the reason', async () => {
    const kept = await since();
    fhir.put(patient('fail-1'), condition('fail-cond', 'fail-1'));

    // The EHR withdrew the registration: the token in hand stops working (401), and a new one is refused.
    fhir.clients.delete(CLIENT_ID);
    fhir.revokeTokens();
    const refused = await run();
    fhir.register(CLIENT_ID, keys.jwks);
    assert.equal(refused.status, 'failed');
    assert.match(
      (await importRow(refused.importId)).error ?? '',
      /^The EHR refused the token request \(invalid_client: .*\): wrong client id: .*FHIR_CLIENT_ID "resetdesk-test-clinic"/,
    );

    fhir.fail('kickoff', { status: 503, body: outcome('transient', 'Export service is down for maintenance') });
    const kickOff = await run();
    assert.equal(
      (await importRow(kickOff.importId)).error,
      "The FHIR server refused the export request (503 Service Unavailable: Export service is down for maintenance); a fault on the EHR's side, the next run tries again",
    );
    fhir.clear();

    fhir.fail('download', { status: 500 });
    const download = await run();
    assert.match(
      (await importRow(download.importId)).error ?? '',
      /^Downloading Patient\.000\.ndjson failed \(500 Internal Server Error: Injected download failure\)/,
    );
    fhir.clear();

    assert.equal(await since(), kept, 'none of them moved _since');
    const recovered = await run();
    assert.equal(recovered.status, 'done');
    assert.equal(fhir.exportRequests.at(-1)!.query._since, kept ?? undefined, 'the next run starts from the last complete _since');
  });

  it('two processes racing for one practice: one syncs, the other is told it is busy', async () => {
    const other: NestExpressApplication = await createApp(t.config);
    await other.init();
    try {
      fhir.put(patient('race-1'));
      const kickOffs = fhir.exportRequests.length;
      const importsBefore = await syncImports();
      let release!: () => void;
      fhir.holdKickOff = new Promise((r) => (release = r));
      const a = sync.sync(MAPLE_GROVE_ID, { limits: FAST });
      const b = other.get(FhirSyncService).sync(MAPLE_GROVE_ID, { limits: FAST });
      // The loser answers without waiting for the winner, who is held at the kick-off.
      const loser = await Promise.race([a, b]);
      assert.equal(loser.status, 'busy');
      release();
      fhir.holdKickOff = null;
      const outcomes = await Promise.all([a, b]);
      assert.deepEqual(outcomes.map((o) => o.status).sort(), ['busy', 'done']);
      assert.equal(fhir.exportRequests.length - kickOffs, 1, 'one export');
      assert.equal((await syncImports()) - importsBefore, 1, 'one import');
      assert.equal((await sync.state(MAPLE_GROVE_ID))!.leaseOwner, null, 'the lease was given back');
    } finally {
      await other.close();
    }
  });

  it("npm run sync:fhir prints the import summary line and answers the import command's exit codes", async () => {
    await forget(MAPLE_GROVE_ID);
    fhir.put(patient('cli-1'), condition('cli-cond', 'cli-1'));
    fhir.exportErrors = [outcome('processing', 'Condition/x: unreadable')] as never;
    const rejected = await cli(['--practice', 'Maple Grove Family Medicine']);
    assert.equal(rejected.code, 2, rejected.stderr);
    assert.match(rejected.lastLine, /^Imported \d+ patients \(\d+ created, \d+ updated, \d+ unchanged\), \d+ chart entries, 0 skipped, 1 rejected$/);
    assert.match(rejected.stderr, /Rejected errors\.ndjson:1 OperationOutcome: Condition\/x: unreadable/);

    fhir.exportErrors = [];
    fhir.advanceClock(60_000);
    fhir.put(patient('cli-2'));
    const clean = await cli(['--practice', MAPLE_GROVE_ID]);
    assert.equal(clean.code, 0, clean.stderr);
    assert.equal(clean.lastLine, 'Imported 1 patients (1 created, 0 updated, 0 unchanged), 0 chart entries, 0 skipped, 0 rejected');

    const unknown = await cli(['--practice', 'No Such Clinic']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no practice is named "No Such Clinic"/);

    const badKey = await cli(['--practice', MAPLE_GROVE_ID], { FHIR_PRIVATE_KEY_FILE: join(dir, 'nope.pem') });
    assert.equal(badKey.code, 1);
    assert.match(badKey.stderr, /^Cannot sync: FHIR_PRIVATE_KEY_FILE cannot be read/);
  });

  async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string; lastLine: string }> {
    const script = resolve(__dirname, '../../src/ehr-sync/sync-fhir.cli.js');
    const child = spawn(process.execPath, [script, ...args], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: t.db.url,
        APP_SECRET: t.config.appSecret,
        DATA_DIR: t.dataDir,
        FHIR_BASE_URL: fhir.baseUrl,
        FHIR_CLIENT_ID: CLIENT_ID,
        FHIR_PRIVATE_KEY_FILE: keys.privateKeyFile,
        FHIR_KEY_ID: keys.kid,
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    return { code, stdout, stderr, lastLine: stdout.trim().split('\n').at(-1) ?? '' };
  }
});
