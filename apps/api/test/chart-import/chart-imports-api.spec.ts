import 'reflect-metadata';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ChartImportJobs } from '../../src/chart-import/chart-import-jobs';
import { ChartImportService } from '../../src/chart-import/chart-import.service';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { TestApp, startTestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { condition, ndjson, patient } from './fhir-fixtures';

const NDJSON = 'application/fhir+ndjson';

function upload(client: StaffClient, body: string | Buffer, contentType = NDJSON, fileName = 'Patient.000.ndjson') {
  return client.post('/api/imports').set('Content-Type', contentType).set('Content-Disposition', `attachment; filename="${fileName}"`).send(body);
}

/** 10,000 patients and 40,000 conditions: a 50,000-line export. */
function bigExport(): string {
  const lines: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    lines.push(
      JSON.stringify(patient({ id: `big-${i}`, mrn: `BIG-${i}`, family: `Bulk${i % 97}`, given: ['Pat'], email: i % 3 ? `pat${i}@example.com` : null })),
    );
  }
  for (let i = 0; i < 40_000; i++) lines.push(JSON.stringify(condition(`big-cond-${i}`, `big-${i % 10_000}`)));
  return lines.join('\n') + '\n';
}

describe('chart imports API (POST/GET /api/imports)', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;

  const waitFor = async (id: string, done: (body: Record<string, any>) => boolean, seen?: (body: Record<string, any>) => void) => {
    // A generous bound so a broken job fails the test instead of hanging it.
    const giveUpAt = Date.now() + 180_000;
    for (;;) {
      assert.ok(Date.now() < giveUpAt, `import ${id} did not finish`);
      const response = await admin.get(`/api/imports/${id}`);
      assert.equal(response.status, 200);
      seen?.(response.body);
      if (done(response.body)) return response.body;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const finished = (body: Record<string, any>) => body.status === 'done' || body.status === 'failed';

  before(async () => {
    t = await startTestApp({ seedPatients: 3, label: 'chartapi', env: { IMPORT_MAX_MB: '40' } });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
  });
  after(async () => {
    await t?.app.get(ChartImportJobs).stop();
    await t?.close();
  });

  it('imports a 50,000-line file uploaded as the body, with progress visible while it runs', async () => {
    t.app.get(ChartImportJobs).start();
    const response = await upload(admin, bigExport(), NDJSON, 'Bulk export.ndjson');
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).sort(), ['id', 'status']);
    assert.equal(response.body.status, 'queued');

    const midway: number[] = [];
    const body = await waitFor(response.body.id, finished, (b) => {
      if (b.status === 'running' && b.progress.processed > 0 && b.progress.processed < b.progress.total) midway.push(b.progress.processed);
    });
    assert.ok(midway.length > 0, 'progress was observed between 0 and the total while the import ran');
    assert.equal(body.status, 'done', body.error);
    assert.equal(body.fileName, 'Bulk export.ndjson');
    assert.equal(body.source, 'upload');
    assert.equal(body.actorName, 'Alicia Moreno');
    assert.deepEqual(body.progress, { processed: 50_000, total: 50_000 });
    assert.deepEqual(body.counts, { patientsCreated: 10_000, patientsUpdated: 0, patientsUnchanged: 0, entries: 40_000, skipped: 0, rejected: 0 });
    assert.deepEqual(body.rejects, []);
    assert.equal(body.error, null);
    assert.ok(body.startedAt && body.finishedAt);
    const events = await t.dataSource.query("SELECT actorId, details FROM audit_events WHERE action = 'chart.imported' AND practiceId = ?", [MAPLE_GROVE_ID]);
    assert.equal(events.length, 1);
    assert.equal(JSON.parse(events[0].details).importId, response.body.id);
  });

  it('lists imports with the list protocol and shows the first rejects with file, line and reason', async () => {
    const response = await upload(
      admin,
      ndjson([patient({ id: 'api-1', mrn: 'API-1' }), 'not json', condition('api-c', 'nobody')]),
      'application/x-ndjson',
      'mixed.ndjson',
    );
    assert.equal(response.status, 202);
    const body = await waitFor(response.body.id, finished);
    assert.equal(body.counts.rejected, 2);
    assert.deepEqual(
      body.rejects.map((r: { file: string; line: number; reason: string }) => `${r.file}:${r.line} ${r.reason}`),
      ['mixed.ndjson:2 not valid JSON', 'mixed.ndjson:3 patient Patient/nobody is neither in this import nor in the practice'],
    );
    const list = await admin.get('/api/imports?range=[0,0]');
    assert.equal(list.status, 200);
    assert.equal(list.headers['content-range'], 'imports 0-0/2');
    assert.equal(list.body[0].id, response.body.id, 'newest first');
  });

  it('reads a Bundle sent as application/fhir+json', async () => {
    const bundle = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient({ id: 'api-b', mrn: 'API-B' }) }] };
    const response = await upload(admin, JSON.stringify(bundle), 'application/fhir+json', 'bundle.json');
    assert.equal(response.status, 202, JSON.stringify(response.body));
    const body = await waitFor(response.body.id, finished);
    assert.equal(body.counts.patientsCreated, 1);
  });

  it('refuses other content types with 415 and files over IMPORT_MAX_MB with 413 naming the limit', async () => {
    const text = await upload(admin, 'hello', 'text/plain');
    assert.equal(text.status, 415);
    assert.match(text.body.message, /application\/fhir\+ndjson/);
    const big = await upload(admin, Buffer.alloc(41 * 1024 * 1024, 0x20));
    assert.equal(big.status, 413);
    assert.match(big.body.message, /40 MB/);
  });

  it('is for admins: desk users get 403, another practice gets 404', async () => {
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    assert.equal((await upload(desk, ndjson([patient({ id: 'x', mrn: 'X' })]))).status, 403);
    assert.equal((await desk.get('/api/imports')).status, 403);
    const [row] = await t.dataSource.query('SELECT id FROM chart_imports LIMIT 1');
    assert.equal((await desk.get(`/api/imports/${row.id}`)).status, 403);
    const riverside = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
    assert.equal((await riverside.get(`/api/imports/${row.id}`)).status, 404);
    const list = await riverside.get('/api/imports');
    assert.deepEqual(list.body, []);
    assert.equal((await request(t.server).get('/api/imports')).status, 401);
  });

  it('after a restart, resumes a job whose process stopped, and fails one whose file is gone, never leaving it running', async () => {
    const jobs = t.app.get(ChartImportJobs);
    await jobs.stop();
    const importer = t.app.get(ChartImportService);
    const file = join(t.dataDir, 'interrupted.upload');
    writeFileSync(file, ndjson([patient({ id: 'resumed', mrn: 'RES-1', family: 'Resumed' })]));
    const actor = { type: 'staff' as const, id: null, name: 'Alicia Moreno' };
    const interrupted = await importer.createImport({
      practiceId: MAPLE_GROVE_ID,
      source: 'upload',
      fileName: 'interrupted.ndjson',
      format: 'ndjson',
      filePath: file,
      total: 1,
      actor,
    });
    const orphan = await importer.createImport({
      practiceId: MAPLE_GROVE_ID,
      source: 'upload',
      fileName: 'orphan.ndjson',
      format: 'ndjson',
      filePath: join(t.dataDir, 'gone.upload'),
      total: 1,
      actor,
    });
    // As a process that died mid-import leaves them: running, half counted, their claim run out.
    await t.dataSource.query("UPDATE chart_imports SET status = 'running', processed = 7, attempts = 1, claimedUntil = ? WHERE id IN (?, ?)", [
      new Date(Date.now() - 1000),
      interrupted.id,
      orphan.id,
    ]);

    jobs.start();
    const resumed = await waitFor(interrupted.id, finished);
    assert.equal(resumed.status, 'done');
    assert.deepEqual(resumed.progress, { processed: 1, total: 1 });
    assert.equal(resumed.counts.patientsCreated, 1);
    const failed = await waitFor(orphan.id, finished);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error, /uploaded file is gone; upload it again/);
  });
});
