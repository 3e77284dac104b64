import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAPLE_GROVE_ID, patientIdsWith } from '../support/fixtures';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

/** Clients branch on `code`, never on the wording of `message`. */
describe('error bodies carry a machine-readable code', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  before(async () => {
    t = await startTestApp({ seedPatients: 20, label: 'codes' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
  });
  after(async () => t?.close());

  it('unknown route: not_found', async () => {
    const response = await desk.get('/api/no-such-route');
    assert.equal(response.status, 404);
    assert.equal(response.body.code, 'not_found');
  });

  it('unknown patient: not_found', async () => {
    const response = await desk.get('/api/patients/00000000-0000-0000-0000-000000000000');
    assert.equal(response.status, 404);
    assert.equal(response.body.code, 'not_found');
  });

  it('a refused desk action: conflict', async () => {
    const [id] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const response = await desk.post(`/api/patients/${id}/portal-unlock`, {});
    assert.equal(response.status, 409);
    assert.equal(response.body.code, 'conflict');
  });

  it('invalid body: validation_failed with field errors', async () => {
    const [id] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const response = await desk.post(`/api/patients/${id}/portal-reset`, { reason: 'nonsense' });
    assert.equal(response.status, 422);
    assert.equal(response.body.code, 'validation_failed');
    assert.ok(response.body.errors);
  });
});
