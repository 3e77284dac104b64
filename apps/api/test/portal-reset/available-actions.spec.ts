import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AvailablePortalActions } from '@resetdesk/contracts';
import { MAPLE_GROVE_ID, patientIdsWith } from '../support/fixtures';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

const RESET = { reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' };
const INACTIVE = 'This chart is inactive in the EHR; portal access cannot be reset.';

/**
 * The patient answer says what the desk may do, and every action's real answer agrees: allowed
 * means the action succeeds, refused means it fails with exactly the reason shown.
 */
describe('GET /api/patients/:id availableActions', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  before(async () => {
    t = await startTestApp({ seedPatients: 60, label: 'actions' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
  });
  after(async () => t?.close());

  const actionsOf = async (id: string): Promise<AvailablePortalActions> => {
    const response = await desk.get(`/api/patients/${id}`);
    assert.equal(response.status, 200);
    return response.body.availableActions;
  };

  const ROUTES = {
    reset: (id: string) => desk.post(`/api/patients/${id}/portal-reset`, RESET),
    resend: (id: string) => desk.post(`/api/patients/${id}/invitation/resend`, {}),
    unlock: (id: string) => desk.post(`/api/patients/${id}/portal-unlock`, {}),
    endSessions: (id: string) => desk.post(`/api/patients/${id}/portal-sessions/end`, {}),
  } as const;

  /** Runs the action and checks its answer against what availableActions promised. */
  async function assertAgrees(id: string, action: keyof typeof ROUTES, expected: { allowed: boolean; reason?: string | RegExp }): Promise<void> {
    const promised = (await actionsOf(id))[action];
    assert.equal(promised.allowed, expected.allowed, `${action}: ${JSON.stringify(promised)}`);
    if (expected.allowed) assert.equal(promised.reason, null);
    else if (typeof expected.reason === 'string') assert.equal(promised.reason, expected.reason);
    else if (expected.reason) assert.match(promised.reason ?? '', expected.reason);
    const response = await ROUTES[action](id);
    if (promised.allowed) {
      assert.ok(response.status < 300, `${action} was promised but answered ${response.status} ${JSON.stringify(response.body)}`);
    } else {
      assert.ok(response.status === 409 || response.status === 422, `${action} answered ${response.status}`);
      assert.equal(response.body.message, promised.reason, `${action}: the refusal is the reason shown`);
    }
  }

  it('reports the invitation lifetime from configuration', async () => {
    const [id] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const response = await desk.get(`/api/patients/${id}`);
    assert.equal(response.body.invitationTtlHours, 72);
    assert.deepEqual(Object.keys(response.body.availableActions).sort(), ['endSessions', 'resend', 'reset', 'unlock']);
  });

  it('active account: reset and end sessions allowed; resend and unlock refused with reasons', async () => {
    const ids = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    await assertAgrees(ids[0]!, 'resend', { allowed: false, reason: /already has an active portal account/ });
    await assertAgrees(ids[0]!, 'unlock', { allowed: false, reason: 'This portal account is not locked.' });
    await assertAgrees(ids[0]!, 'endSessions', { allowed: true });
    await assertAgrees(ids[1]!, 'reset', { allowed: true });
  });

  it('locked account: unlock allowed, resend refused; after the unlock, unlock is refused', async () => {
    const [id] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'locked');
    await assertAgrees(id!, 'resend', { allowed: false, reason: /locked portal account/ });
    await assertAgrees(id!, 'unlock', { allowed: true });
    assert.equal((await actionsOf(id!)).unlock.allowed, false);
  });

  it('no account: resend allowed; unlock and end sessions refused', async () => {
    const ids = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'none');
    await assertAgrees(ids[0]!, 'unlock', { allowed: false, reason: 'This patient has no portal account to unlock.' });
    await assertAgrees(ids[0]!, 'endSessions', { allowed: false, reason: 'This patient has no portal account.' });
    await assertAgrees(ids[0]!, 'resend', { allowed: true });
  });

  it('no email on the chart: reset and resend refused with the chart-email reason', async () => {
    const [id] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'no-email');
    await t.dataSource.query(`UPDATE portal_accounts SET status = 'closed', openMarker = NULL WHERE patientId = ?`, [id]);
    await assertAgrees(id!, 'reset', { allowed: false, reason: /no email address/ });
    await assertAgrees(id!, 'resend', { allowed: false, reason: /no email address/ });
  });

  it('inactive chart: reset and resend refused with the inactive-chart reason', async () => {
    const [id] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'none');
    await t.dataSource.query(`UPDATE patients SET active = 0, inactiveReason = 'inactive' WHERE id = ?`, [id]);
    await assertAgrees(id!, 'reset', { allowed: false, reason: INACTIVE });
    await assertAgrees(id!, 'resend', { allowed: false, reason: INACTIVE });
  });

  it('unlock and end-sessions answers carry availableActions too', async () => {
    const [id] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const response = await desk.post(`/api/patients/${id}/portal-sessions/end`, {});
    assert.equal(response.status, 200);
    assert.equal(response.body.availableActions.endSessions.allowed, true);
    assert.equal(response.body.invitationTtlHours, 72);
  });
});
