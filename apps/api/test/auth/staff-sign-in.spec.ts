import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

describe('staff sign-in', { skip: mysqlSkip }, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ seedPatients: 5, label: 'signin' });
  });
  after(async () => t?.close());

  it('signs in with the demo password and answers the staff user', async () => {
    const response = await request(t.server).post('/api/auth/login').send({ email: MAPLE_DESK, password: 'ResetDesk-demo-2026' });
    assert.equal(response.status, 200);
    assert.equal(response.body.email, MAPLE_DESK);
    assert.equal(response.body.role, 'front_desk');
    assert.equal(response.body.practiceName, 'Maple Grove Family Medicine');
    const cookies = ([] as string[]).concat(response.headers['set-cookie']);
    const session = cookies.find((c) => c.startsWith('rd_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.ok(cookies.some((c) => c.startsWith('rd_csrf=') && !/HttpOnly/.test(c)));
  });

  it('me answers the signed-in user', async () => {
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const me = await desk.get('/api/auth/me');
    assert.equal(me.status, 200);
    assert.deepEqual(Object.keys(me.body).sort(), ['email', 'id', 'name', 'practiceId', 'practiceName', 'role']);
  });
});
