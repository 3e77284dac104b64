import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { ACCOUNT_FAILURE_LIMIT, IP_FAILURE_LIMIT, THROTTLE_WINDOW_MINUTES } from '../../src/auth/staff-auth.service';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';
import { assertApiError } from '../support/api-assertions';
import { MAPLE_ADMIN, MAPLE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID, addStaffUser, sessionTokenHash } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

const INVALID_LOGIN = 'Invalid email or password';
const WRONG_PASSWORD = 'Not-the-password-7731';

/** Each throttling scenario signs in from its own address (X-Forwarded-For through the loopback proxy). */
let nextIp = 10;
const freshIp = () => `203.0.113.${nextIp++}`;

function setCookies(response: request.Response): string[] {
  return ([] as string[]).concat(response.headers['set-cookie'] ?? []);
}

describe('staff authentication', { skip: mysqlSkip }, () => {
  let t: TestApp;

  const login = (email: string, password: string, ip?: string) => {
    const req = request(t.server).post('/api/auth/login');
    if (ip) req.set('X-Forwarded-For', ip);
    return req.send({ email, password });
  };

  const auditRows = (where: string, params: unknown[]) =>
    t.dataSource.query(`SELECT * FROM audit_events WHERE ${where} ORDER BY practiceId, seq`, params) as Promise<Record<string, any>[]>;

  before(async () => {
    t = await startTestApp({ seedPatients: 3, label: 'fdnauth' });
  });
  after(async () => t?.close());

  describe('sign-in', () => {
    it('answers the staff user and sets an HttpOnly SameSite=Strict session cookie and a readable CSRF cookie', async () => {
      const response = await login(MAPLE_DESK, DEMO_PASSWORD);
      assert.equal(response.status, 200);
      const [desk] = await t.dataSource.query('SELECT id FROM staff_users WHERE email = ?', [MAPLE_DESK]);
      assert.deepEqual(response.body, {
        id: desk.id,
        email: MAPLE_DESK,
        name: 'Devon Clarke',
        role: 'front_desk',
        practiceId: MAPLE_GROVE_ID,
        practiceName: 'Maple Grove Family Medicine',
      });

      const cookies = setCookies(response);
      const session = cookies.find((c) => c.startsWith('rd_session='));
      const csrf = cookies.find((c) => c.startsWith('rd_csrf='));
      assert.ok(session && csrf, `both cookies are set: ${cookies.join(' | ')}`);
      assert.match(session, /;\s*HttpOnly/i);
      assert.match(session, /;\s*SameSite=Strict/i);
      assert.match(session, /;\s*Path=\//);
      assert.doesNotMatch(session, /;\s*Secure/i, 'plain http: no Secure flag, or the browser would drop the cookie');
      assert.match(csrf, /;\s*SameSite=Strict/i);
      assert.doesNotMatch(csrf, /HttpOnly/i, 'the console must be able to read rd_csrf');
      assert.match(csrf, /^rd_csrf=[0-9a-f]{64};/);
      assert.match(session, /^rd_session=[A-Za-z0-9_-]{43,};/);
    });

    it('marks both cookies Secure when the request came over https through the proxy', async () => {
      const response = await request(t.server).post('/api/auth/login').set('X-Forwarded-Proto', 'https').send({ email: MAPLE_ADMIN, password: DEMO_PASSWORD });
      assert.equal(response.status, 200);
      const cookies = setCookies(response);
      assert.equal(cookies.length, 2);
      for (const cookie of cookies) assert.match(cookie, /;\s*Secure/i, cookie);
    });

    it('accepts the email address in any letter case and with surrounding spaces', async () => {
      const response = await login('  Desk@MapleGrove.TEST ', DEMO_PASSWORD);
      assert.equal(response.status, 200);
      assert.equal(response.body.email, MAPLE_DESK);
    });

    it('answers a wrong password and an unknown email with the same 401 body', async () => {
      const wrongPassword = await login(MAPLE_DESK, WRONG_PASSWORD, freshIp());
      const unknownEmail = await login(`nobody-${randomUUID().slice(0, 8)}@maplegrove.test`, DEMO_PASSWORD, freshIp());
      assertApiError(wrongPassword, 401, INVALID_LOGIN);
      assertApiError(unknownEmail, 401, INVALID_LOGIN);
      assert.deepEqual(wrongPassword.body, unknownEmail.body);
      assert.equal(setCookies(wrongPassword).length, 0, 'a failed sign-in sets no cookie');
      assert.equal(setCookies(unknownEmail).length, 0);
    });

    it('refuses a deactivated staff user with the same 401 body, and ends the sessions they already had', async () => {
      const leaver = await addStaffUser(t.dataSource, { email: `leaver-${randomUUID().slice(0, 8)}@maplegrove.test` });
      const before = await StaffClient.signIn(t.server, leaver.email);
      assert.equal((await before.get('/api/auth/me')).status, 200);

      await t.dataSource.query('UPDATE staff_users SET active = ? WHERE id = ?', [false, leaver.id]);

      const refused = await login(leaver.email, DEMO_PASSWORD, freshIp());
      assertApiError(refused, 401, INVALID_LOGIN);
      assert.equal(setCookies(refused).length, 0);
      assertApiError(await before.get('/api/auth/me'), 401);
      assertApiError(await before.get('/api/patients'), 401);

      const failures = await auditRows('action = ? AND actorId = ?', ['staff.login_failed', leaver.id]);
      assert.equal(failures.length, 1);
      assert.deepEqual(JSON.parse(failures[0]!.details), { email: leaver.email, why: 'inactive' });
    });

    it('writes staff.login and staff.login_failed audit events, never the typed password', async () => {
      const user = await addStaffUser(t.dataSource, { email: `audited-${randomUUID().slice(0, 8)}@maplegrove.test`, name: 'Audra Audited' });
      const ip = freshIp();
      const typo = `Typo-${randomUUID()}`;
      assert.equal((await login(user.email, typo, ip)).status, 401);
      const ok = await request(t.server)
        .post('/api/auth/login')
        .set('X-Forwarded-For', ip)
        .set('User-Agent', 'FoundationSpec/1.0')
        .send({ email: user.email, password: DEMO_PASSWORD });
      assert.equal(ok.status, 200);

      const events = await auditRows('actorId = ?', [user.id]);
      assert.deepEqual(
        events.map((e) => e.action),
        ['staff.login_failed', 'staff.login'],
      );
      const [failed, signedIn] = events;
      for (const event of events) {
        assert.equal(event.practiceId, MAPLE_GROVE_ID);
        assert.equal(event.actorType, 'staff');
        assert.equal(event.actorName, 'Audra Audited');
        assert.equal(event.ip, ip);
        assert.match(event.hash, /^[0-9a-f]{64}$/);
      }
      assert.deepEqual(JSON.parse(failed!.details), { email: user.email, why: 'unknown_or_wrong_password' });
      assert.equal(signedIn!.userAgent, 'FoundationSpec/1.0');
      assert.equal(signedIn!.prevHash, failed!.hash, 'the two events are consecutive links of the practice chain');

      const [lastLogin] = await t.dataSource.query('SELECT lastLoginAt FROM staff_users WHERE id = ?', [user.id]);
      assert.ok(lastLogin.lastLoginAt, 'lastLoginAt is recorded');

      // Nothing the user typed is kept: audit details, attempts and sessions hold no password.
      const dump = JSON.stringify([
        await t.dataSource.query('SELECT * FROM audit_events'),
        await t.dataSource.query('SELECT * FROM login_attempts'),
        await t.dataSource.query('SELECT * FROM staff_sessions'),
      ]);
      assert.ok(!dump.includes(typo), 'a typed password was stored');
      const attempts = JSON.stringify(await t.dataSource.query('SELECT * FROM login_attempts'));
      assert.ok(!attempts.includes(user.email), 'login_attempts keeps a keyed hash of the email, not the address');
    });
  });

  describe('throttling', () => {
    it(`locks an account after ${ACCOUNT_FAILURE_LIMIT} failures: 429 with Retry-After, even for the right password`, async () => {
      const user = await addStaffUser(t.dataSource, { email: `throttled-${randomUUID().slice(0, 8)}@maplegrove.test` });
      const ip = freshIp();
      for (let i = 0; i < ACCOUNT_FAILURE_LIMIT; i++) assertApiError(await login(user.email, WRONG_PASSWORD, ip), 401, INVALID_LOGIN);

      const rightPassword = await login(user.email, DEMO_PASSWORD, ip);
      assertApiError(rightPassword, 429, /Too many failed sign-in attempts/);
      assert.equal(rightPassword.headers['retry-after'], String(THROTTLE_WINDOW_MINUTES * 60));
      assert.equal(setCookies(rightPassword).length, 0, 'no session while throttled');

      // The lock follows the account, not the address it was attacked from.
      assertApiError(await login(user.email, DEMO_PASSWORD, freshIp()), 429);
      const sessions = await t.dataSource.query('SELECT COUNT(*) AS n FROM staff_sessions WHERE staffUserId = ?', [user.id]);
      assert.equal(Number(sessions[0].n), 0);

      // A colleague at the same front desk (same address) is not locked out with them.
      const colleague = await login(MAPLE_ADMIN, DEMO_PASSWORD, ip);
      assert.equal(colleague.status, 200);
      assert.equal(colleague.body.email, MAPLE_ADMIN);

      // Admins see the throttled attempts in the audit log: once for the stretch, not once per try.
      const throttledEvents = () =>
        t.dataSource.query(`SELECT * FROM audit_events WHERE actorId = ? AND action = 'staff.login_failed' AND details LIKE '%"why":"throttled"%'`, [user.id]);
      const deadline = Date.now() + 5000;
      while ((await throttledEvents()).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assertApiError(await login(user.email, WRONG_PASSWORD, freshIp()), 429);
      await new Promise((r) => setTimeout(r, 300));
      const events = await throttledEvents();
      assert.equal(events.length, 1, 'one audit event for three throttled attempts');
      assert.deepEqual(JSON.parse(events[0].details), { email: user.email, why: 'throttled' });
    });

    it('throttles unknown email addresses exactly like real ones, so the answers reveal nothing', async () => {
      const real = await addStaffUser(t.dataSource, { email: `real-${randomUUID().slice(0, 8)}@maplegrove.test` });
      const ghost = `ghost-${randomUUID().slice(0, 8)}@maplegrove.test`;
      const realAnswers: request.Response[] = [];
      const ghostAnswers: request.Response[] = [];
      const ip = freshIp();
      for (let i = 0; i <= ACCOUNT_FAILURE_LIMIT; i++) {
        realAnswers.push(await login(real.email, WRONG_PASSWORD, ip));
        ghostAnswers.push(await login(ghost, WRONG_PASSWORD, ip));
      }
      for (let i = 0; i <= ACCOUNT_FAILURE_LIMIT; i++) {
        assert.equal(ghostAnswers[i]!.status, realAnswers[i]!.status, `attempt ${i + 1}`);
        assert.deepEqual(ghostAnswers[i]!.body, realAnswers[i]!.body, `attempt ${i + 1}`);
        assert.equal(ghostAnswers[i]!.headers['retry-after'], realAnswers[i]!.headers['retry-after']);
      }
      assert.equal(ghostAnswers[ACCOUNT_FAILURE_LIMIT]!.status, 429);
      assert.equal(ghostAnswers[ACCOUNT_FAILURE_LIMIT - 1]!.status, 401);
    });

    it('starts counting again after a successful sign-in', async () => {
      const user = await addStaffUser(t.dataSource, { email: `fumbler-${randomUUID().slice(0, 8)}@maplegrove.test` });
      const ip = freshIp();
      for (let i = 0; i < ACCOUNT_FAILURE_LIMIT - 1; i++) await login(user.email, WRONG_PASSWORD, ip);
      assert.equal((await login(user.email, DEMO_PASSWORD, ip)).status, 200);
      // Without the reset, this failure would be the fifth in the window and lock the account.
      assertApiError(await login(user.email, WRONG_PASSWORD, ip), 401);
      assert.equal((await login(user.email, DEMO_PASSWORD, ip)).status, 200);
    });

    it(`throttles an address after ${IP_FAILURE_LIMIT} failures spread over many accounts`, async () => {
      const sprayer = freshIp();
      // Earlier failures from this address, as the table holds them (one row per attempt, each
      // for a different account); argon2 would make 30 real attempts slow without testing more.
      const earlier = Array.from({ length: IP_FAILURE_LIMIT - 1 }, (_, i) => [
        randomUUID(),
        randomUUID()
          .replace(/-/g, '')
          .padEnd(64, String(i % 10)),
        sprayer,
        false,
        new Date(Date.now() - (i + 1) * 1000),
      ]);
      for (const row of earlier) await t.dataSource.query('INSERT INTO login_attempts (id, accountKey, ip, succeeded, createdAt) VALUES (?, ?, ?, ?, ?)', row);

      assertApiError(await login(`spray-${randomUUID().slice(0, 8)}@maplegrove.test`, WRONG_PASSWORD, sprayer), 401, INVALID_LOGIN);
      const next = await login(MAPLE_ADMIN, DEMO_PASSWORD, sprayer);
      assertApiError(next, 429);
      assert.equal(next.headers['retry-after'], String(THROTTLE_WINDOW_MINUTES * 60));
      // The same account from an address that has not been spraying is unaffected.
      assert.equal((await login(MAPLE_ADMIN, DEMO_PASSWORD, freshIp())).status, 200);
    });
  });

  describe('sessions', () => {
    it('me answers the signed-in user; no cookie or a made-up one answers 401', async () => {
      const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
      const me = await desk.get('/api/auth/me');
      assert.equal(me.status, 200);
      assert.deepEqual(Object.keys(me.body).sort(), ['email', 'id', 'name', 'practiceId', 'practiceName', 'role']);
      assert.equal(me.body.email, MAPLE_DESK);

      assertApiError(await request(t.server).get('/api/auth/me'), 401, 'Please sign in.');
      assertApiError(await request(t.server).get('/api/auth/me').set('Cookie', 'rd_session=made-up-token'), 401, 'Please sign in.');
      assertApiError(
        await request(t.server)
          .get('/api/auth/me')
          .set('Cookie', `rd_session=${'x'.repeat(5000)}`),
        401,
      );
    });

    it('expires after 15 idle minutes, and each request slides the idle window', async () => {
      const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
      const tokenHash = sessionTokenHash(desk.cookies);
      const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

      await t.dataSource.query('UPDATE staff_sessions SET lastSeenAt = ? WHERE tokenHash = ?', [minutesAgo(14), tokenHash]);
      assert.equal((await desk.get('/api/auth/me')).status, 200, '14 idle minutes is still a live session');
      const [touched] = await t.dataSource.query('SELECT lastSeenAt FROM staff_sessions WHERE tokenHash = ?', [tokenHash]);
      assert.ok(Date.now() - new Date(touched.lastSeenAt).getTime() < 60_000, 'the request moved lastSeenAt to now');

      await t.dataSource.query('UPDATE staff_sessions SET lastSeenAt = ? WHERE tokenHash = ?', [minutesAgo(16), tokenHash]);
      assertApiError(await desk.get('/api/auth/me'), 401, /expired/i);
      assertApiError(await desk.get('/api/patients'), 401, /expired/i);
    });

    it('expires at its absolute deadline however active it is', async () => {
      const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
      const tokenHash = sessionTokenHash(desk.cookies);
      const [row] = await t.dataSource.query('SELECT createdAt, expiresAt FROM staff_sessions WHERE tokenHash = ?', [tokenHash]);
      const lifetimeHours = (new Date(row.expiresAt).getTime() - new Date(row.createdAt).getTime()) / 3_600_000;
      assert.equal(lifetimeHours, 12, 'sessions last 12 hours at most');

      await t.dataSource.query('UPDATE staff_sessions SET expiresAt = ?, lastSeenAt = ? WHERE tokenHash = ?', [
        new Date(Date.now() - 1000),
        new Date(),
        tokenHash,
      ]);
      assertApiError(await desk.get('/api/auth/me'), 401, /expired/i);
    });

    it('logout answers 204, clears the cookies, revokes the session row and writes staff.logout', async () => {
      const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
      const other = await StaffClient.signIn(t.server, MAPLE_DESK);
      const tokenHash = sessionTokenHash(desk.cookies);

      const response = await desk.post('/api/auth/logout');
      assert.equal(response.status, 204);
      assert.equal(response.text, '');
      const cleared = setCookies(response);
      for (const name of ['rd_session', 'rd_csrf']) {
        const cookie = cleared.find((c) => c.startsWith(`${name}=`));
        assert.ok(cookie, `${name} is cleared`);
        assert.match(cookie, /Expires=Thu, 01 Jan 1970/);
      }

      const [row] = await t.dataSource.query('SELECT revokedAt FROM staff_sessions WHERE tokenHash = ?', [tokenHash]);
      assert.ok(row.revokedAt, 'the session row is revoked, not just forgotten by the browser');
      assertApiError(await desk.get('/api/auth/me'), 401);
      assertApiError(await desk.post('/api/auth/logout'), 401);
      assert.equal((await other.get('/api/auth/me')).status, 200, 'only that session ended');

      const [staff] = await t.dataSource.query('SELECT id FROM staff_users WHERE email = ?', [MAPLE_DESK]);
      const logouts = await auditRows('action = ? AND actorId = ?', ['staff.logout', staff.id]);
      assert.ok(logouts.length >= 1);
    });
  });

  describe('CSRF', () => {
    it('refuses a write without the X-CSRF-Token header with 403, and the write does not happen', async () => {
      const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
      assertApiError(await desk.postWithoutCsrf('/api/auth/logout'), 403, /X-CSRF-Token/);
      assert.equal((await desk.get('/api/auth/me')).status, 200, 'the session is still alive');
    });

    it('refuses a wrong token and the token of another session', async () => {
      const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
      const admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
      const sameUserOtherSession = await StaffClient.signIn(t.server, MAPLE_DESK);
      const post = (token: string) => request(t.server).post('/api/auth/logout').set('Cookie', desk.cookies.join('; ')).set('X-CSRF-Token', token);

      assertApiError(await post('0'.repeat(64)), 403);
      assertApiError(await post(desk.csrfToken.toUpperCase()), 403);
      assertApiError(await post(desk.csrfToken.slice(0, 63)), 403);
      assertApiError(await post(admin.csrfToken), 403);
      assertApiError(await post(sameUserOtherSession.csrfToken), 403);
      // The cookie itself is not a substitute for the header.
      assertApiError(await request(t.server).post('/api/auth/logout').set('Cookie', desk.cookies.join('; ')).set('X-CSRF-Token', ''), 403);
      assert.equal((await desk.get('/api/auth/me')).status, 200);

      assert.equal((await post(desk.csrfToken)).status, 204, 'the right token is accepted');
    });

    it('does not ask GET requests for a token', async () => {
      const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
      assert.equal((await desk.get('/api/auth/me')).status, 200);
      assert.equal((await desk.get('/api/patients')).status, 200);
    });
  });

  describe('every /api route needs a session', () => {
    // Single sign-on starts before there is a session: whether it is on, its start and its callback.
    const PUBLIC_API_ROUTES = new Set([
      'POST /api/auth/login',
      'GET /api/health',
      'GET /api/auth/sso',
      'GET /api/auth/sso/start',
      'GET /api/auth/sso/callback',
    ]);

    it('answers 401 on every route of the OpenAPI document, except sign-in, single sign-on and health', async () => {
      const docs = await request(t.server).get('/api/docs-json');
      assert.equal(docs.status, 200);
      const routes: [string, string][] = [];
      for (const [path, operations] of Object.entries<Record<string, unknown>>(docs.body.paths)) {
        // Patient pages (/register/...) are public by design and carry their own CSRF tokens.
        if (!path.startsWith('/api/')) continue;
        for (const method of Object.keys(operations)) {
          if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) routes.push([method.toUpperCase(), path]);
        }
      }
      const listed = new Set(routes.map(([m, p]) => `${m} ${p}`));
      for (const foundation of [
        'GET /api/auth/me',
        'POST /api/auth/logout',
        'GET /api/patients',
        'GET /api/patients/{id}',
        'GET /api/patients/{id}/chart',
        'GET /api/patients/{id}/portal-history',
      ]) {
        assert.ok(listed.has(foundation), `the OpenAPI document lists ${foundation}`);
      }

      const unprotected: string[] = [];
      for (const [method, path] of routes) {
        const key = `${method} ${path}`;
        if (PUBLIC_API_ROUTES.has(key)) continue;
        const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
        const agent = request(t.server);
        const response = await agent[method.toLowerCase() as 'get'](url).send(method === 'GET' ? undefined : {});
        if (response.status !== 401) {
          unprotected.push(`${key} → ${response.status}`);
          continue;
        }
        assertApiError(response, 401, 'Please sign in.');
      }
      assert.deepEqual(unprotected, [], 'routes answering without a session');
    });

    it('serves sign-in, health and the API docs without a session', async () => {
      assert.equal((await request(t.server).get('/api/health')).status, 200);
      const docsPage = await request(t.server).get('/api/docs').redirects(1);
      assert.equal(docsPage.status, 200);
      assert.match(docsPage.headers['content-type'], /text\/html/);
      const docsJson = await request(t.server).get('/api/docs-json');
      assert.equal(docsJson.status, 200);
      assert.match(docsJson.body.openapi, /^3\./);
      assertApiError(await login('someone@example.com', WRONG_PASSWORD, freshIp()), 401, INVALID_LOGIN);
    });
  });
});

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
