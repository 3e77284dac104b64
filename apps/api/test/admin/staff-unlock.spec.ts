import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertApiError } from '../support/api-assertions';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { sql } from './admin-support';

describe('POST /api/staff/:id/unlock', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let deskId: string;

  const signIn = (email: string, password: string) => request(t.server).post('/api/auth/login').send({ email, password });
  const idOf = async (email: string): Promise<string> => (await sql(t, 'SELECT id FROM staff_users WHERE email = ?', [email]))[0].id as string;

  before(async () => {
    t = await startTestApp({ seedPatients: 1, label: 'staffunlock' });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    deskId = await idOf(MAPLE_DESK);
  });
  after(async () => t?.close());

  it('answers 409 while the staff member is not locked, and audits nothing', async () => {
    assertApiError(await admin.post(`/api/staff/${deskId}/unlock`, {}), 409, 'This staff member is not locked out of sign-in.');
    assert.equal((await sql(t, "SELECT * FROM audit_events WHERE action = 'staff.unlocked'")).length, 0);
  });

  it('lets a throttled staff member sign in again, audited staff.unlocked', async () => {
    for (let i = 0; i < 5; i++) assertApiError(await signIn(MAPLE_DESK, 'wrong-password-here'), 401, 'Invalid email or password');
    assert.equal((await signIn(MAPLE_DESK, DEMO_PASSWORD)).status, 429);

    const response = await admin.post(`/api/staff/${deskId}/unlock`, {});
    assert.equal(response.status, 200);
    assert.equal(response.body.id, deskId);

    assert.equal((await signIn(MAPLE_DESK, DEMO_PASSWORD)).status, 200);
    const audit = await sql(t, "SELECT * FROM audit_events WHERE action = 'staff.unlocked'");
    assert.equal(audit.length, 1);
    assert.equal(JSON.parse(String(audit[0].details)).staffUserId, deskId);
  });

  it('answers 404 for staff of another practice, 403 to desk staff, and refuses without the CSRF token', async () => {
    const otherAdminId = await idOf(RIVERSIDE_ADMIN);
    assertApiError(await admin.post(`/api/staff/${otherAdminId}/unlock`, {}), 404, 'That staff member was not found.');
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    assert.equal((await desk.post(`/api/staff/${deskId}/unlock`, {})).status, 403);
    assert.equal((await admin.postWithoutCsrf(`/api/staff/${deskId}/unlock`, {})).status, 403);
  });
});
