import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertApiError } from '../support/api-assertions';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { csvRecords, Row, sql } from './admin-support';

const ADMIN_ONLY = 'Only practice admins can open this. Ask your practice admin if you need access.';

describe('admin routes: who may call them and what they can see', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let mapleAdmin: StaffClient;
  let mapleDesk: StaffClient;
  let riversideAdmin: StaffClient;
  let mapleEvent: Row;
  let mapleStaff: Row;

  before(async () => {
    t = await startTestApp({ seedPatients: 4, label: 'adminaccess' });
    [mapleAdmin, mapleDesk, riversideAdmin] = await Promise.all([
      StaffClient.signIn(t.server, MAPLE_ADMIN),
      StaffClient.signIn(t.server, MAPLE_DESK),
      StaffClient.signIn(t.server, RIVERSIDE_ADMIN),
    ]);
    [mapleEvent] = await sql(t, 'SELECT * FROM audit_events WHERE practiceId = ? ORDER BY seq LIMIT 1', [MAPLE_GROVE_ID]);
    [mapleStaff] = await sql(t, 'SELECT * FROM staff_users WHERE email = ?', [MAPLE_DESK]);
    assert.ok(mapleEvent && mapleStaff);
  });
  after(async () => t?.close());

  const adminRoutes = () => [
    { name: 'GET /api/audit-events', send: (c: StaffClient) => c.get('/api/audit-events') },
    { name: 'GET /api/audit-events/:id', send: (c: StaffClient) => c.get(`/api/audit-events/${mapleEvent.id}`) },
    { name: 'GET /api/audit-events/verify', send: (c: StaffClient) => c.get('/api/audit-events/verify') },
    { name: 'GET /api/audit-events/export', send: (c: StaffClient) => c.get('/api/audit-events/export') },
    { name: 'GET /api/staff', send: (c: StaffClient) => c.get('/api/staff') },
    { name: 'GET /api/staff/:id', send: (c: StaffClient) => c.get(`/api/staff/${mapleStaff.id}`) },
    {
      name: 'POST /api/staff',
      send: (c: StaffClient) =>
        c.post('/api/staff', { email: 'new.desk@maplegrove.test', name: 'New Desk', role: 'practice_admin', password: 'violet-harbor-tandem-88' }),
    },
    { name: 'PUT /api/staff/:id', send: (c: StaffClient) => c.put(`/api/staff/${mapleStaff.id}`, { role: 'practice_admin' }) },
  ];

  describe('roles', () => {
    it('answers a front-desk user 403 with the error shape on every admin route, and changes nothing', async () => {
      const staffBefore = await sql(t, 'SELECT * FROM staff_users ORDER BY id');
      for (const route of adminRoutes()) {
        const response = await route.send(mapleDesk);
        assert.equal(response.status, 403, `${route.name} answered ${response.status}`);
        assertApiError(response, 403, ADMIN_ONLY);
      }
      assert.deepEqual(await sql(t, 'SELECT * FROM staff_users ORDER BY id'), staffBefore);
    });

    it('answers 401 on every admin route without a session', async () => {
      for (const route of adminRoutes()) {
        const path = route.name.split(' ')[1]!.replace(':id', randomUUID());
        const response = await request(t.server).get(path);
        assertApiError(response, 401, 'Please sign in.');
      }
    });

    it('lets any staff user read the dashboard', async () => {
      const response = await mapleDesk.get('/api/dashboard');
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), [
        'expiringInvitations',
        'lockedAccounts',
        'lockedLinks',
        'messagesDead',
        'messagesRetrying',
        'pendingInvitations',
        'resetsToday',
      ]);
    });

    it('lets a practice admin use every admin route', async () => {
      for (const route of adminRoutes().filter((r) => r.name.startsWith('GET'))) {
        const response = await route.send(mapleAdmin);
        assert.equal(response.status, 200, `${route.name} answered ${response.status} ${JSON.stringify(response.body)}`);
      }
    });
  });

  describe('tenant isolation', () => {
    it("answers another practice's audit event 404, exactly like a missing one", async () => {
      const foreign = await riversideAdmin.get(`/api/audit-events/${mapleEvent.id}`);
      const missing = await riversideAdmin.get(`/api/audit-events/${randomUUID()}`);
      assertApiError(foreign, 404);
      assert.deepEqual(foreign.body, missing.body);
      const own = await mapleAdmin.get(`/api/audit-events/${mapleEvent.id}`);
      assert.equal(own.status, 200);
      assert.equal(own.body.id, mapleEvent.id);
    });

    it("answers another practice's staff member 404 on read and update, and leaves the row alone", async () => {
      const before = await sql(t, 'SELECT * FROM staff_users WHERE id = ?', [mapleStaff.id]);
      const read = await riversideAdmin.get(`/api/staff/${mapleStaff.id}`);
      const missing = await riversideAdmin.get(`/api/staff/${randomUUID()}`);
      assertApiError(read, 404);
      assert.deepEqual(read.body, missing.body);
      const update = await riversideAdmin.put(`/api/staff/${mapleStaff.id}`, { name: 'Taken Over', active: false });
      assertApiError(update, 404);
      assert.deepEqual(update.body, missing.body);
      assert.deepEqual(await sql(t, 'SELECT * FROM staff_users WHERE id = ?', [mapleStaff.id]), before);
    });

    it("lists only the admin's own practice's audit events, even when asked for foreign ids or actors", async () => {
      const all = await riversideAdmin.get('/api/audit-events').query({ range: '[0,499]' });
      assert.equal(all.status, 200);
      const [{ n }] = await sql(t, 'SELECT COUNT(*) AS n FROM audit_events WHERE practiceId = ?', [RIVERSIDE_ID]);
      assert.equal(all.body.length, Number(n));
      assert.ok(all.body.length > 0);
      assert.ok(all.body.every((e: Row) => e.practiceId === RIVERSIDE_ID));
      assert.equal(all.headers['content-range'], `audit-events 0-${all.body.length - 1}/${n}`);

      const byId = await riversideAdmin.get('/api/audit-events').query({ filter: JSON.stringify({ id: [mapleEvent.id] }) });
      assert.deepEqual(byId.body, []);
      assert.equal(byId.headers['content-range'], 'audit-events 0-0/0');
      const byActor = await riversideAdmin.get('/api/audit-events').query({ filter: JSON.stringify({ actorId: mapleEvent.actorId }) });
      assert.deepEqual(byActor.body, []);
    });

    it("exports only the admin's own practice's events", async () => {
      const response = await riversideAdmin.get('/api/audit-events/export');
      assert.equal(response.status, 200);
      const { records } = csvRecords(response.text);
      const ids = new Set((await sql(t, 'SELECT id FROM audit_events WHERE practiceId = ?', [RIVERSIDE_ID])).map((r) => r.id));
      assert.equal(records.length, ids.size);
      assert.ok(records.every((r) => ids.has(r.id)));
    });

    it("lists only the admin's own practice's staff", async () => {
      const response = await riversideAdmin.get('/api/staff');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.map((s: Row) => s.email).sort(), ['admin@riverside.test', 'desk@riverside.test']);
      const byId = await riversideAdmin.get('/api/staff').query({ filter: JSON.stringify({ id: [mapleStaff.id] }) });
      assert.deepEqual(byId.body, []);
      const byEmail = await riversideAdmin.get('/api/staff').query({ filter: JSON.stringify({ q: 'desk@maple' }) });
      assert.deepEqual(byEmail.body, []);
    });

    it("verifies only the admin's own practice's chain", async () => {
      const [maple, riverside] = await Promise.all([mapleAdmin.get('/api/audit-events/verify'), riversideAdmin.get('/api/audit-events/verify')]);
      const counts = await sql(t, 'SELECT practiceId, COUNT(*) AS n FROM audit_events GROUP BY practiceId');
      const countOf = (id: string) => Number(counts.find((c) => c.practiceId === id)?.n ?? 0);
      assert.deepEqual(maple.body, { valid: true, checked: countOf(MAPLE_GROVE_ID), firstBrokenId: null });
      assert.deepEqual(riverside.body, { valid: true, checked: countOf(RIVERSIDE_ID), firstBrokenId: null });
    });
  });
});
