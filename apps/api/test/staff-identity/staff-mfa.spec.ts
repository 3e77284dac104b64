import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertApiError } from '../support/api-assertions';
import { MAPLE_ADMIN, RIVERSIDE_ADMIN, RIVERSIDE_DESK, StaffClient } from '../support/staff-client';
import { addStaffUser, RIVERSIDE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { PendingClient, Row, secretOf, totpCode } from './mfa-support';

const WRONG = 'That code is not right. Check the code and try again.';
const TOO_MANY = 'Too many wrong codes. Sign in again with your email and password.';

describe('staff two-step sign-in', { skip: mysqlSkip }, () => {
  let t: TestApp;
  const sql = (query: string, params: unknown[] = []): Promise<Row[]> => t.dataSource.query(query, params);
  const auditOf = (action: string, staffUserId: string) =>
    sql("SELECT * FROM audit_events WHERE action = ? AND (actorId = ? OR JSON_VALUE(details, '$.staffUserId') = ?) ORDER BY seq", [
      action,
      staffUserId,
      staffUserId,
    ]);

  /** Signs in with the password, sets up an authenticator app and returns its secret and codes. */
  async function enrol(email: string): Promise<{ secret: string; recoveryCodes: string[]; client: StaffClient }> {
    const signedIn = await request(t.server).post('/api/auth/login').send({ email, password: 'ResetDesk-demo-2026' });
    assert.equal(signedIn.status, 200);
    assert.equal(signedIn.body.mfaRequired, undefined, 'an optional practice signs in without a factor');
    const client = PendingClient.sessionFrom(t.server, signedIn);
    const enrolment = await client.post('/api/auth/mfa/totp/enroll');
    assert.equal(enrolment.status, 200);
    const secret = secretOf(enrolment.body.otpauthUrl);
    const confirmed = await client.post('/api/auth/mfa/totp/confirm', { code: await totpCode(secret) });
    assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
    return { secret, recoveryCodes: confirmed.body.recoveryCodes, client };
  }

  before(async () => {
    t = await startTestApp({ seedPatients: 1, label: 'staffmfa' });
  });
  after(async () => t?.close());

  describe('the practice setting staffMfa', () => {
    it('is optional in the demo practices, and admins change it in GET/PUT /api/practice', async () => {
      const admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
      assert.equal((await admin.get('/api/practice')).body.staffMfa, 'optional');
      const invalid = await admin.put('/api/practice', { staffMfa: 'sometimes' });
      assertApiError(invalid, 422, 'Choose required or optional for two-step sign-in.');
      const desk = await StaffClient.signIn(t.server, 'desk@maplegrove.test');
      assertApiError(await desk.put('/api/practice', { staffMfa: 'required' }), 403);
      // A PUT of one setting leaves the others alone.
      const before = (await admin.get('/api/practice')).body;
      const unchanged = await admin.put('/api/practice', { allowSecurityQuestions: before.allowSecurityQuestions });
      assert.equal(unchanged.body.staffMfa, 'optional');
    });
  });

  describe('a practice that requires it', () => {
    let riversideAdmin: StaffClient;
    before(async () => {
      riversideAdmin = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
      const required = await riversideAdmin.put('/api/practice', { staffMfa: 'required' });
      assert.equal(required.status, 200);
      assert.equal(required.body.staffMfa, 'required');
      const [event] = await sql("SELECT details FROM audit_events WHERE practiceId = ? AND action = 'practice.settings_updated' ORDER BY seq DESC LIMIT 1", [
        RIVERSIDE_ID,
      ]);
      assert.deepEqual(JSON.parse(event.details).changes.staffMfa, { from: 'optional', to: 'required' });
    });

    it('cannot be entered with a password alone: the answer is a pending sign-in that opens nothing else', async () => {
      const pending = await PendingClient.signIn(t.server, RIVERSIDE_DESK);
      assert.deepEqual(pending.body, { mfaRequired: true, methods: [], enrolmentRequired: true });
      assert.ok(pending.cookies.some((c) => c.startsWith('rd_mfa=')));
      for (const path of ['/api/auth/me', '/api/patients', '/api/practice', '/api/dashboard', '/api/auth/mfa']) {
        assertApiError(await pending.get(path), 401);
      }
      assertApiError(await pending.post('/api/auth/logout'), 401);
      assertApiError(await pending.post('/api/auth/mfa/recovery-codes'), 401);
      // The pending cookie does not pass for a session cookie, whatever it is called.
      const token = pending.cookies.find((c) => c.startsWith('rd_mfa='))!.slice('rd_mfa='.length);
      assertApiError(await request(t.server).get('/api/patients').set('Cookie', `rd_session=${token}`), 401);
      // Its writes need its CSRF token like a session's.
      assertApiError(await request(t.server).post('/api/auth/mfa/totp/enroll').set('Cookie', pending.cookies.join('; ')), 403);
    });

    it('lets a person without a factor enrol, then opens the session with the first code', async () => {
      const pending = await PendingClient.signIn(t.server, RIVERSIDE_DESK);
      const enrolment = await pending.post('/api/auth/mfa/totp/enroll');
      assert.equal(enrolment.status, 200);
      assert.match(enrolment.body.otpauthUrl, /^otpauth:\/\/totp\/.+\?.*secret=[A-Z2-7]+/);
      assert.match(enrolment.body.qrSvg, /^<svg[\s\S]*<\/svg>\s*$/);
      assert.equal(enrolment.body.secret, secretOf(enrolment.body.otpauthUrl));
      assertApiError(await pending.get('/api/auth/me'), 401);

      const wrong = await pending.post('/api/auth/mfa/totp/confirm', { code: '000000' === (await totpCode(enrolment.body.secret)) ? '111111' : '000000' });
      // While pending, a wrong code counts like any wrong second-step code.
      assertApiError(wrong, 401, WRONG);

      const confirmed = await pending.post('/api/auth/mfa/totp/confirm', { code: await totpCode(enrolment.body.secret) });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      const codes: string[] = confirmed.body.recoveryCodes;
      assert.equal(codes.length, 10);
      assert.equal(new Set(codes).size, 10);
      for (const code of codes) assert.match(code, /^[a-z0-9]{5}-[a-z0-9]{5}$/);
      const client = PendingClient.sessionFrom(t.server, confirmed);
      const me = await client.get('/api/auth/me');
      assert.equal(me.status, 200);
      assert.equal(me.body.email, RIVERSIDE_DESK);

      // Stored hashed and sealed: neither the codes nor the secret are in the database in clear.
      const [user] = await sql('SELECT id FROM staff_users WHERE email = ?', [RIVERSIDE_DESK]);
      const stored = await sql('SELECT codeHash FROM staff_recovery_codes WHERE staffUserId = ?', [user.id]);
      assert.equal(stored.length, 10);
      for (const row of stored) assert.ok(!codes.some((c) => row.codeHash.includes(c.replace('-', ''))));
      const [factor] = await sql("SELECT sealedSecret FROM staff_mfa_factors WHERE staffUserId = ? AND kind = 'totp'", [user.id]);
      assert.ok(!factor.sealedSecret.includes(enrolment.body.secret));
      assert.equal((await auditOf('staff.mfa_enrolled', user.id)).length, 1);
      const [login] = (await auditOf('staff.login', user.id)).slice(-1);
      assert.deepEqual(JSON.parse(login.details), { method: 'password', secondFactor: 'totp' });

      // Enrolled: the next sign-in asks for the app (or a recovery code), and enrolment is closed to it.
      const next = await PendingClient.signIn(t.server, RIVERSIDE_DESK);
      assert.deepEqual(next.body, { mfaRequired: true, methods: ['totp', 'recovery_code'], enrolmentRequired: false });
      assertApiError(await next.post('/api/auth/mfa/totp/enroll'), 403);
    });
  });

  describe('signing in with an authenticator app', () => {
    it('accepts a code one step off, refuses a wrong one and the same code twice', async () => {
      const email = 'totp.user@maplegrove.test';
      await addStaffUser(t.dataSource, { email });
      const { secret } = await enrol(email);

      const pending = await PendingClient.signIn(t.server, email);
      assert.deepEqual(pending.body.methods, ['totp', 'recovery_code']);
      assertApiError(await pending.post('/api/auth/mfa/totp', { code: '12345' }), 401, WRONG);
      // The confirmation used this step's code; the app running 30 s fast shows the next one.
      const code = await totpCode(secret, 1);
      const done = await pending.post('/api/auth/mfa/totp', { code });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal(done.body.email, email);
      assert.equal((await PendingClient.sessionFrom(t.server, done).get('/api/patients')).status, 200);
      // The completed pending sign-in is spent.
      assertApiError(await pending.post('/api/auth/mfa/totp', { code }), 401);

      const again = await PendingClient.signIn(t.server, email);
      assertApiError(await again.post('/api/auth/mfa/totp', { code }), 401, WRONG);
      assertApiError(await again.post('/api/auth/mfa/totp', { code: await totpCode(secret) }), 401, WRONG);
    });

    it('ends the pending sign-in after five wrong codes, and the throttle it shares with passwords holds', async () => {
      const email = 'five.wrong@maplegrove.test';
      const user = await addStaffUser(t.dataSource, { email });
      const { secret } = await enrol(email);
      const pending = await PendingClient.signIn(t.server, email);
      const right = await totpCode(secret, 1);
      const wrong = right === '999999' ? '999998' : '999999';
      for (let i = 1; i <= 4; i++) assertApiError(await pending.post('/api/auth/mfa/totp', { code: wrong }), 401, WRONG);
      assertApiError(await pending.post('/api/auth/mfa/totp', { code: wrong }), 401, TOO_MANY);
      // Over: even the right code does not open it.
      assertApiError(await pending.post('/api/auth/mfa/totp', { code: right }), 401, 'Your sign-in has expired. Sign in again.');
      const failed = await auditOf('staff.login_failed', user.id);
      assert.equal(JSON.parse(failed.at(-1)!.details).why, 'mfa_too_many_failures');
      // Five wrong codes are five failed sign-ins: the password step is throttled now too.
      assertApiError(await request(t.server).post('/api/auth/login').send({ email, password: 'ResetDesk-demo-2026' }), 429);
    });
  });

  describe('recovery codes', () => {
    it('each opens one sign-in, once', async () => {
      const email = 'recovery.user@maplegrove.test';
      const user = await addStaffUser(t.dataSource, { email });
      const { recoveryCodes } = await enrol(email);

      const first = await PendingClient.signIn(t.server, email);
      const used = await first.post('/api/auth/mfa/recovery-code', { code: recoveryCodes[3]!.toUpperCase() });
      assert.equal(used.status, 200, JSON.stringify(used.body));
      const signedIn = PendingClient.sessionFrom(t.server, used);
      const status = await signedIn.get('/api/auth/mfa');
      assert.equal(status.body.recoveryCodesLeft, 9);
      assert.equal(status.body.totp, true);
      const [event] = await auditOf('staff.mfa_recovery_code_used', user.id);
      assert.deepEqual(JSON.parse(event.details), { staffUserId: user.id, remaining: 9 });

      const second = await PendingClient.signIn(t.server, email);
      assertApiError(await second.post('/api/auth/mfa/recovery-code', { code: recoveryCodes[3]! }), 401, WRONG);
      assertApiError(await second.post('/api/auth/mfa/recovery-code', { code: 'aaaaa-aaaaa' }), 401, WRONG);
      assert.equal((await second.post('/api/auth/mfa/recovery-code', { code: recoveryCodes[4]! })).status, 200);

      // New codes replace the old ones, all of them.
      const renewed = await signedIn.post('/api/auth/mfa/recovery-codes');
      assert.equal(renewed.body.recoveryCodes.length, 10);
      const third = await PendingClient.signIn(t.server, email);
      assertApiError(await third.post('/api/auth/mfa/recovery-code', { code: recoveryCodes[5]! }), 401, WRONG);
      assert.equal((await third.post('/api/auth/mfa/recovery-code', { code: renewed.body.recoveryCodes[0] })).status, 200);
    });
  });

  describe('POST /api/staff/:id/mfa/reset', () => {
    it("lets an admin reset another staff member's two-step sign-in and ends their sessions", async () => {
      const email = 'lost.phone@maplegrove.test';
      const user = await addStaffUser(t.dataSource, { email });
      const { client } = await enrol(email);
      const pending = await PendingClient.signIn(t.server, email);
      const admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);

      const reset = await admin.post(`/api/staff/${user.id}/mfa/reset`);
      assert.equal(reset.status, 200);
      assertApiError(await client.get('/api/auth/me'), 401);
      assertApiError(await pending.post('/api/auth/mfa/recovery-code', { code: 'aaaaa-aaaaa' }), 401, 'Your sign-in has expired. Sign in again.');
      assert.equal((await sql('SELECT id FROM staff_mfa_factors WHERE staffUserId = ?', [user.id])).length, 0);
      assert.equal((await sql('SELECT id FROM staff_recovery_codes WHERE staffUserId = ?', [user.id])).length, 0);
      const [event] = await auditOf('staff.mfa_reset', user.id);
      assert.equal(JSON.parse(event.details).email, email);
      assert.equal(event.actorName, 'Alicia Moreno');
      // The practice is optional: without a factor the password alone signs in again.
      const again = await request(t.server).post('/api/auth/login').send({ email, password: 'ResetDesk-demo-2026' });
      assert.equal(again.status, 200);
      assert.equal(again.body.email, email);
    });

    it('refuses your own id (403), desk staff (403) and another practice (404)', async () => {
      const admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
      const [self] = await sql('SELECT id FROM staff_users WHERE email = ?', [MAPLE_ADMIN]);
      assertApiError(
        await admin.post(`/api/staff/${self.id}/mfa/reset`),
        403,
        'You cannot reset your own two-step sign-in. Ask another practice admin to do it.',
      );
      const [other] = await sql('SELECT id FROM staff_users WHERE email = ?', [RIVERSIDE_DESK]);
      assertApiError(await admin.post(`/api/staff/${other.id}/mfa/reset`), 404);
      const desk = await StaffClient.signIn(t.server, 'desk@maplegrove.test');
      assertApiError(await desk.post(`/api/staff/${self.id}/mfa/reset`), 403);
      assertApiError(await admin.postWithoutCsrf(`/api/staff/${other.id}/mfa/reset`), 403);
    });
  });
});
