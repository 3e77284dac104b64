import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApp } from '../../src/app.factory';
import { FhirSyncScheduler } from '../../src/ehr-sync/fhir-sync.scheduler';
import { FhirSyncService } from '../../src/ehr-sync/fhir-sync.service';
import { FakeFhirServer, makeClientKeys, patient } from '../support/fake-fhir-server';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { TestApp, startTestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('EHR sync on a schedule (FHIR_SYNC_INTERVAL_MINUTES)', { skip: mysqlSkip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'resetdesk-sync-schedule-'));
  let fhir: FakeFhirServer;
  let t: TestApp;

  before(async () => {
    fhir = await new FakeFhirServer().start();
    const keys = await makeClientKeys(dir, 'RS384');
    fhir.register('scheduled-client', keys.jwks);
    fhir.put(patient('sched-1'));
    t = await startTestApp({
      label: 'fhirschedule',
      seedPatients: 1,
      env: {
        RUN_DISPATCHER: 'true',
        FHIR_BASE_URL: fhir.baseUrl,
        FHIR_TOKEN_URL: fhir.tokenUrl,
        FHIR_CLIENT_ID: 'scheduled-client',
        FHIR_PRIVATE_KEY_FILE: keys.privateKeyFile,
        FHIR_KEY_ID: keys.kid,
        FHIR_SYNC_INTERVAL_MINUTES: '60',
        FHIR_SYNC_PRACTICE: 'maple-grove',
      },
    });
  });
  after(async () => {
    await t?.close();
    await fhir?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('syncs the practice when the process starts, then not again before the interval has passed', async () => {
    const sync = t.app.get(FhirSyncService);
    const state = await waitFor('the first scheduled sync', async () => {
      const s = await sync.state(MAPLE_GROVE_ID);
      return s?.lastTransactionTime && !s.leaseOwner ? s : null;
    });
    assert.equal(state.lastTransactionTime, fhir.clock);
    const row = (await t.dataSource.query("SELECT * FROM chart_imports WHERE source = 'sync' AND practiceId = ?", [MAPLE_GROVE_ID]))[0];
    assert.equal(row.status, 'done');
    assert.equal(row.patientsCreated, 1);
    const next = state.nextRunAt!.getTime() - Date.now();
    assert.ok(next > 55 * 60_000 && next <= 60 * 60_000, `next run in ${Math.round(next / 1000)} s`);

    const kickOffs = fhir.exportRequests.length;
    const early = await t.app.get(FhirSyncScheduler).runDue();
    assert.equal(early?.status, 'not_due');
    assert.equal(fhir.exportRequests.length, kickOffs, 'no export before the interval has passed');
  });

  it('when the interval has passed, one of the processes that look runs it, asking for the changes since the last one', async () => {
    const other = await createApp(t.config);
    await other.init();
    // Its own first look (at start-up) finds nothing due; let it end before the hour passes.
    await new Promise((r) => setImmediate(r));
    await other.get(FhirSyncScheduler).idle();
    try {
      const previous = (await t.app.get(FhirSyncService).state(MAPLE_GROVE_ID))!.lastTransactionTime;
      fhir.advanceClock(3_600_000);
      fhir.put(patient('sched-2'));
      // An hour later, as far as the schedule is concerned.
      await t.dataSource.query('UPDATE fhir_sync_states SET nextRunAt = ? WHERE practiceId = ?', [new Date(Date.now() - 1000), MAPLE_GROVE_ID]);
      const kickOffs = fhir.exportRequests.length;

      const outcomes = await Promise.all([t.app.get(FhirSyncScheduler).runDue(), other.get(FhirSyncScheduler).runDue()]);

      assert.equal(outcomes.filter((o) => o?.status === 'done').length, 1, JSON.stringify(outcomes.map((o) => o?.status)));
      assert.equal(fhir.exportRequests.length - kickOffs, 1, 'one export for both processes');
      assert.equal(fhir.exportRequests.at(-1)!.query._since, previous);
      assert.equal((await t.app.get(FhirSyncService).state(MAPLE_GROVE_ID))!.lastTransactionTime, fhir.clock);
    } finally {
      await other.close();
    }
  });
});
