import 'reflect-metadata';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ChartImportService } from '../../src/chart-import/chart-import.service';
import { chartIdFor } from '../../src/chart-import/fhir-mapping';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { TestApp, startTestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { ndjson, patient } from './fhir-fixtures';

const RESET = { reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' };
const INACTIVE = 'This chart is inactive in the EHR; portal access cannot be reset.';

/** Charts the EHR closed, and charts whose contact details just changed, are where account takeovers happen. */
describe('contact-change safety of imported charts', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  const load = (resources: unknown[]) =>
    t.app.get(ChartImportService).run({
      practiceId: MAPLE_GROVE_ID,
      source: 'cli',
      fileName: 'Patient.000.ndjson',
      inputs: [{ fileName: 'Patient.000.ndjson', stream: Readable.from([ndjson(resources)]) }],
    });
  const idOf = (fhirId: string) => chartIdFor(MAPLE_GROVE_ID, fhirId);

  before(async () => {
    t = await startTestApp({ seedPatients: 3, label: 'chartsafe' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    await load([
      patient({ id: 'safe-dead', mrn: 'S-1', family: 'Quill', email: 'q.dead@example.com', deceasedBoolean: true }),
      patient({ id: 'safe-inactive', mrn: 'S-2', family: 'Quill', email: 'q.inactive@example.com', active: false }),
      patient({ id: 'safe-moved', mrn: 'S-3', family: 'Quill', email: 'q.old@example.com' }),
    ]);
  });
  after(async () => t?.close());

  it('shows active, inactiveReason and contactChangedAt on patient list items and details', async () => {
    const list = await desk.get(`/api/patients?filter=${encodeURIComponent(JSON.stringify({ q: 'Quill' }))}`);
    assert.equal(list.status, 200);
    const byId = new Map(
      (list.body as { id: string; active: boolean; inactiveReason: string | null; contactChangedAt: string | null }[]).map((p) => [p.id, p]),
    );
    assert.deepEqual(
      ['safe-dead', 'safe-inactive', 'safe-moved'].map((f) => {
        const p = byId.get(idOf(f))!;
        return [p.active, p.inactiveReason, p.contactChangedAt];
      }),
      [
        [false, 'deceased', null],
        [false, 'inactive', null],
        [true, null, null],
      ],
    );
    const detail = await desk.get(`/api/patients/${idOf('safe-dead')}`);
    assert.deepEqual([detail.body.active, detail.body.inactiveReason, detail.body.contactChangedAt], [false, 'deceased', null]);
  });

  it('refuses reset and resend on deceased and inactive charts with 409', async () => {
    for (const fhirId of ['safe-dead', 'safe-inactive']) {
      const reset = await desk.post(`/api/patients/${idOf(fhirId)}/portal-reset`, RESET);
      assert.equal(reset.status, 409, fhirId);
      assert.equal(reset.body.message, INACTIVE);
      const resend = await desk.post(`/api/patients/${idOf(fhirId)}/invitation/resend`);
      assert.equal(resend.status, 409, fhirId);
      assert.equal(resend.body.message, INACTIVE);
    }
    const [row] = await t.dataSource.query('SELECT COUNT(*) AS n FROM registration_invitations WHERE patientId IN (?, ?)', [
      idOf('safe-dead'),
      idOf('safe-inactive'),
    ]);
    assert.equal(Number(row.n), 0);
  });

  it('carries contactChangedAt into the portal.reset event after the EHR changed the email, and flags the change as recent', async () => {
    const before = await desk.get(`/api/patients/${idOf('safe-moved')}`);
    assert.equal(before.body.contactChangedRecently, false);
    await load([patient({ id: 'safe-moved', mrn: 'S-3', family: 'Quill', email: 'attacker@example.net' })]);
    const detail = await desk.get(`/api/patients/${idOf('safe-moved')}`);
    assert.match(detail.body.contactChangedAt, /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(detail.body.contactChangedRecently, true);

    const reset = await desk.post(`/api/patients/${idOf('safe-moved')}/portal-reset`, RESET);
    assert.equal(reset.status, 201, JSON.stringify(reset.body));
    const [event] = await t.dataSource.query('SELECT details FROM audit_events WHERE id = ?', [reset.body.auditEventId]);
    assert.equal(JSON.parse(event.details).contactChangedAt, detail.body.contactChangedAt);
  });
});
