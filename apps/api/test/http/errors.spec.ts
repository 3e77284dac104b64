import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { UNAVAILABLE_MESSAGE } from '../../src/common/global-exception.filter';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';
import { assertApiError, assertNoStackTrace } from '../support/api-assertions';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { TcpProxy } from '../support/tcp-proxy';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';
import { TEST_MYSQL_URL, mysqlSkip } from '../support/test-env';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The one error shape of the API, and what happens when things really break: a missing table
 * (500) and the database going away (503), played with a TCP proxy between the app and MariaDB.
 */
describe('API errors', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let db: TestDatabase;
  let proxy: TcpProxy;
  let desk: StaffClient;

  before(async () => {
    const server = new URL(TEST_MYSQL_URL);
    proxy = new TcpProxy(server.hostname, Number(server.port || 3306));
    await proxy.start();
    // The harness creates its database on the real server; this one is reached through the proxy.
    db = await createTestDatabase('fdnerrors');
    const viaProxy = new URL(db.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    t = await startTestApp({ seedPatients: 3, label: 'fdnerrorsunused', env: { DATABASE_URL: viaProxy.toString() } });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
  });
  after(async () => {
    await proxy?.restore().catch(() => undefined);
    await t?.close();
    await db?.drop();
    await proxy?.stop();
  });

  const login = (body: unknown) => request(t.server).post('/api/auth/login').set('Content-Type', 'application/json').send(JSON.stringify(body));

  describe('validation and malformed requests', () => {
    it('answers a bad value with 422 and a message per field', async () => {
      const response = await login({ email: 5, password: DEMO_PASSWORD });
      assertApiError(response, 422);
      assert.deepEqual(response.body, {
        statusCode: 422,
        error: 'Unprocessable Entity',
        message: 'Enter your email address.',
        code: 'validation_failed',
        errors: { email: 'Enter your email address.' },
      });
    });

    it('names every field that is wrong, with the message react-admin shows under it', async () => {
      const response = await login({ email: '', password: '' });
      assertApiError(response, 422);
      assert.deepEqual(Object.keys(response.body.errors).sort(), ['email', 'password']);
      assert.equal(response.body.errors.password, 'Enter your password.');
      for (const message of Object.values<string>(response.body.errors)) assert.ok(message.length > 3);
      assertApiError(await login({}), 422);
      assertApiError(await login({ email: 'a'.repeat(300) + '@example.com', password: 'x' }), 422, 'That email address is too long.');
    });

    it('answers an unknown body field with 400 naming it', async () => {
      const response = await login({ email: MAPLE_DESK, password: DEMO_PASSWORD, role: 'practice_admin' });
      assertApiError(response, 400, /role/);
      assert.equal(response.body.errors, undefined);
    });

    it('answers malformed JSON with 400 in the same shape', async () => {
      const response = await request(t.server).post('/api/auth/login').set('Content-Type', 'application/json').send('{"email": "desk@maplegrove.test",');
      assertApiError(response, 400, 'The request body is not valid JSON.');
      // Also on a staff route, where the body is parsed before the session is even looked at.
      assertApiError(await desk.post('/api/auth/logout').set('Content-Type', 'application/json').send('{nope'), 400);
    });

    it('answers an oversized body with 413 in the same shape', async () => {
      const response = await login({ email: MAPLE_DESK, password: 'x'.repeat(200_000) });
      assertApiError(response, 413);
    });

    it('answers an unknown route or method with 404 in the same shape, signed in or not', async () => {
      for (const response of [
        await request(t.server).get('/api/no-such-thing'),
        await request(t.server).post('/api/no-such-thing').send({}),
        await desk.get('/api/no-such-thing'),
        await desk.get('/api/patients/00000000-0000-4000-8000-000000000000/no-such-view'),
        await request(t.server).delete('/api/patients'),
      ]) {
        assertApiError(response, 404);
      }
      const unknown = await request(t.server).get('/api/no-such-thing');
      assert.equal(unknown.body.message, 'There is no GET /api/no-such-thing route.');
    });

    it('answers a non-API unknown file as HTML to a browser, without internals', async () => {
      // A path with a dot: the console's single-page fallback (index.html) does not claim it.
      const response = await request(t.server).get('/no-such-file.txt').set('Accept', 'text/html');
      assert.equal(response.status, 404);
      assert.match(response.headers['content-type'], /text\/html/);
      assertNoStackTrace(response.text);
      const json = await request(t.server).get('/no-such-file.txt').set('Accept', 'application/json');
      assertApiError(json, 404);
    });
  });

  describe('request ids', () => {
    it('puts an X-Request-Id on every response, errors included', async () => {
      const responses = [
        await request(t.server).get('/api/health'),
        await desk.get('/api/patients'),
        await request(t.server).get('/api/patients'),
        await login({ email: 5 }),
        await request(t.server).get('/api/no-such-thing'),
        await request(t.server).get('/api/docs-json'),
        await desk.postWithoutCsrf('/api/auth/logout'),
      ];
      const ids = responses.map((r) => r.headers['x-request-id']);
      for (const id of ids) assert.match(String(id), UUID);
      assert.equal(new Set(ids).size, ids.length, 'each request has its own id');
    });

    it('keeps a well-formed id from the caller (a proxy), and replaces anything else', async () => {
      const kept = await request(t.server).get('/api/health').set('X-Request-Id', 'lb-7f3a9c21.trace');
      assert.equal(kept.headers['x-request-id'], 'lb-7f3a9c21.trace');
      for (const bad of ['short', 'has spaces in it', 'x'.repeat(100), '<script>alert(1)</script>']) {
        const replaced = await request(t.server).get('/api/health').set('X-Request-Id', bad);
        assert.match(replaced.headers['x-request-id'], UUID, bad);
      }
    });
  });

  describe('unexpected failures', () => {
    it('answers 500 with a generic message quoting the request id, never the SQL error or a stack', async () => {
      const [patient] = await t.dataSource.query('SELECT id FROM patients LIMIT 1');
      // A real failure inside a real query: the table the chart reads is gone.
      await db.admin.query(`RENAME TABLE \`${db.name}\`.clinical_entries TO \`${db.name}\`.clinical_entries_away`);
      let response!: request.Response;
      try {
        response = await desk.get(`/api/patients/${patient.id}/chart`);
      } finally {
        await db.admin.query(`RENAME TABLE \`${db.name}\`.clinical_entries_away TO \`${db.name}\`.clinical_entries`);
      }
      assertApiError(response, 500);
      const requestId = response.headers['x-request-id'];
      assert.equal(response.body.requestId, requestId);
      assert.ok(response.body.message.includes(requestId), 'the message quotes the request id for support');
      for (const secret of ['clinical_entries', 'ER_NO_SUCH_TABLE', 'SELECT', db.name]) {
        assert.ok(!response.text.includes(secret), `the body leaks "${secret}"`);
      }
      assert.equal((await desk.get(`/api/patients/${patient.id}/chart`)).status, 200, 'fine again once the table is back');
    });
  });

  describe('database outage', () => {
    const UNAVAILABLE = { statusCode: 503, error: 'Service Unavailable', message: UNAVAILABLE_MESSAGE, code: 'database_unavailable' };

    it('answers 503 with the outage message on staff routes, sign-in and health, then recovers', async () => {
      assert.equal((await desk.get('/api/patients')).status, 200, 'signed in and working before the outage');
      assert.ok(proxy.openConnections > 0, 'the app talks to the database through the proxy');

      await proxy.cut();
      try {
        const list = await desk.get('/api/patients');
        assert.deepEqual(list.body, UNAVAILABLE);
        assertApiError(list, 503, UNAVAILABLE_MESSAGE);
        assert.match(String(list.headers['x-request-id']), UUID);

        const detail = await desk.get('/api/patients/00000000-0000-4000-8000-000000000000');
        assert.deepEqual(detail.body, UNAVAILABLE, 'the session check itself needs the database: still 503, not 401 or 404');

        const signIn = await login({ email: MAPLE_DESK, password: DEMO_PASSWORD });
        assert.equal(signIn.status, 503, 'a sign-in during the outage is not "Invalid email or password"');
        assert.deepEqual(signIn.body, UNAVAILABLE);

        const write = await desk.post('/api/auth/logout');
        assert.deepEqual(write.body, UNAVAILABLE);

        const started = Date.now();
        const health = await request(t.server).get('/api/health');
        assert.equal(health.status, 503);
        assert.deepEqual(health.body, { status: 'error', db: 'down' });
        assert.ok(Date.now() - started < 10_000, 'health answers promptly while the database is down');
      } finally {
        await proxy.restore();
      }

      // The pool reconnects by itself: no restart needed.
      let health = await request(t.server).get('/api/health');
      for (let i = 0; i < 20 && health.status !== 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        health = await request(t.server).get('/api/health');
      }
      assert.equal(health.status, 200);
      assert.deepEqual(health.body, { status: 'ok', db: 'up' });
      const list = await desk.get('/api/patients');
      assert.equal(list.status, 200, 'the same session works again');
      assert.equal(list.body.length, 3);
    });
  });
});
