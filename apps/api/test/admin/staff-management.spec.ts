import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertApiError } from '../support/api-assertions';
import { MAPLE_ADMIN, MAPLE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { Row, sql } from './admin-support';

const DUPLICATE = 'A staff account with that email already exists.';
const ITEM_KEYS = ['active', 'createdAt', 'email', 'id', 'lastLoginAt', 'name', 'role'];
const STRONG = 'quartz-meadow-lantern-91';
const STRONGER = 'copper-walrus-orchard-57';

describe('staff management', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let adminId: string;

  const staffRow = async (email: string): Promise<Row | undefined> => (await sql(t, 'SELECT * FROM staff_users WHERE email = ?', [email]))[0];
  const auditOf = (action: string, staffUserId: string) =>
    sql(t, "SELECT * FROM audit_events WHERE action = ? AND JSON_VALUE(details, '$.staffUserId') = ? ORDER BY seq", [action, staffUserId]);
  const signIn = (email: string, password: string) => request(t.server).post('/api/auth/login').send({ email, password });
  const create = (body: object) => admin.post('/api/staff', body);

  before(async () => {
    t = await startTestApp({ seedPatients: 1, label: 'staffmgmt' });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    adminId = (await staffRow(MAPLE_ADMIN))!.id;
  });
  after(async () => t?.close());

  describe('GET /api/staff', () => {
    it("lists the practice's staff by name with the list protocol", async () => {
      const response = await admin.get('/api/staff');
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-range'], 'staff 0-1/2');
      assert.deepEqual(
        response.body.map((s: Row) => s.name),
        ['Alicia Moreno', 'Devon Clarke'],
      );
      const [alicia] = response.body;
      assert.deepEqual(Object.keys(alicia).sort(), ITEM_KEYS);
      assert.equal(alicia.id, adminId);
      assert.equal(alicia.email, MAPLE_ADMIN);
      assert.equal(alicia.role, 'practice_admin');
      assert.equal(alicia.active, true);
      assert.ok(alicia.lastLoginAt, 'the admin has signed in');
      assert.equal(response.body[1].lastLoginAt, null);
    });

    it('filters by name or email prefix, role, active and id', async () => {
      const names = async (filter: object) => (await admin.get('/api/staff').query({ filter: JSON.stringify(filter) })).body.map((s: Row) => s.name);
      assert.deepEqual(await names({ q: 'dev' }), ['Devon Clarke']);
      assert.deepEqual(await names({ q: 'Clar' }), ['Devon Clarke'], 'a surname prefix matches');
      assert.deepEqual(await names({ q: 'ADMIN@maple' }), ['Alicia Moreno']);
      assert.deepEqual(await names({ q: 'oreno' }), [], 'a prefix, not a substring');
      assert.deepEqual(await names({ role: 'front_desk' }), ['Devon Clarke']);
      assert.deepEqual(await names({ active: true }), ['Alicia Moreno', 'Devon Clarke']);
      assert.deepEqual(await names({ active: false }), []);
      assert.deepEqual(await names({ id: [adminId] }), ['Alicia Moreno']);
      const sorted = await admin.get('/api/staff').query({ sort: '["email","DESC"]', range: '[0,0]' });
      assert.equal(sorted.body[0].email, MAPLE_DESK);
      assert.equal(sorted.headers['content-range'], 'staff 0-0/2');
      assertApiError(await admin.get('/api/staff').query({ filter: '{"role":"doctor"}' }), 400);
      assertApiError(await admin.get('/api/staff').query({ filter: '{"active":"maybe"}' }), 400);
      assertApiError(await admin.get('/api/staff').query({ sort: '["passwordHash","ASC"]' }), 400);
    });

    it('answers one staff member, and 404 for an unknown id', async () => {
      const response = await admin.get(`/api/staff/${adminId}`);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), ITEM_KEYS);
      assertApiError(await admin.get('/api/staff/00000000-0000-4000-a000-000000000000'), 404, 'That staff member was not found.');
    });
  });

  describe('POST /api/staff', () => {
    it('adds a staff member with an argon2id hash, audits it, and the new person can sign in', async () => {
      const response = await create({ email: '  Jordan.Lee@MapleGrove.test ', name: ' Jordan Lee ', role: 'front_desk', password: STRONG });
      assert.equal(response.status, 201);
      assert.deepEqual(Object.keys(response.body).sort(), ITEM_KEYS);
      assert.equal(response.body.email, 'jordan.lee@maplegrove.test');
      assert.equal(response.body.name, 'Jordan Lee');
      assert.equal(response.body.role, 'front_desk');
      assert.equal(response.body.active, true);
      assert.equal(response.body.lastLoginAt, null);

      const row = (await staffRow('jordan.lee@maplegrove.test'))!;
      assert.equal(row.id, response.body.id);
      assert.equal(row.practiceId, MAPLE_GROVE_ID);
      assert.match(row.passwordHash, /^\$argon2id\$/);

      const [event, ...more] = await auditOf('staff.created', row.id);
      assert.equal(more.length, 0);
      assert.equal(event!.actorId, adminId);
      assert.deepEqual(JSON.parse(event!.details), { staffUserId: row.id, email: 'jordan.lee@maplegrove.test', role: 'front_desk' });
      const everything = JSON.stringify(await sql(t, 'SELECT * FROM audit_events'));
      assert.ok(!everything.includes(STRONG), 'the password is in no audit row');

      const signedIn = await signIn('jordan.lee@maplegrove.test', STRONG);
      assert.equal(signedIn.status, 200);
      assert.equal(signedIn.body.practiceId, MAPLE_GROVE_ID);
    });

    it('refuses an email that any practice already uses with 409, saying nothing more', async () => {
      const staffBefore = await sql(t, 'SELECT COUNT(*) AS n FROM staff_users');
      for (const email of ['DESK@maplegrove.test', 'desk@riverside.test', 'jordan.lee@maplegrove.test']) {
        const response = await create({ email, name: 'Someone Else', role: 'front_desk', password: STRONG });
        assertApiError(response, 409, DUPLICATE);
      }
      assert.deepEqual(await sql(t, 'SELECT COUNT(*) AS n FROM staff_users'), staffBefore);
    });

    it('answers 422 on the password field with what to fix, and creates nothing', async () => {
      const cases: [string, RegExp][] = [
        ['short-pass', /use at least 12 characters/],
        ['password1234', /harder to guess/],
        ['Brightwater-lantern-2026', /do not include your name/],
        ['x'.repeat(129), /use at most 128 characters/],
      ];
      for (const [password, problem] of cases) {
        const response = await create({ email: 'casey.brightwater@maplegrove.test', name: 'Casey Brightwater', role: 'front_desk', password });
        assertApiError(response, 422);
        assert.deepEqual(Object.keys(response.body.errors), ['password']);
        assert.match(response.body.errors.password, /^The password does not meet security requirements: /);
        assert.match(response.body.errors.password, problem);
      }
      assert.equal(await staffRow('casey.brightwater@maplegrove.test'), undefined);
    });

    it('answers 422 per field for bad values and 400 for unknown fields', async () => {
      const valid = { email: 'ok@maplegrove.test', name: 'Ok Person', role: 'front_desk', password: STRONG };
      const fieldError = async (body: object, field: string) => {
        const response = await create(body);
        assertApiError(response, 422);
        assert.ok(response.body.errors[field], `${field} has a message: ${JSON.stringify(response.body)}`);
      };
      await fieldError({ ...valid, email: 'not-an-email' }, 'email');
      await fieldError({ ...valid, name: '   ' }, 'name');
      await fieldError({ ...valid, name: 'x'.repeat(161) }, 'name');
      await fieldError({ ...valid, role: 'doctor' }, 'role');
      await fieldError({ email: valid.email, name: valid.name, role: valid.role }, 'password');
      assertApiError(await create({ ...valid, practiceId: 'another' }), 400, /Unknown field: practiceId/);
      assertApiError(await create({ ...valid, active: false }), 400);
      assert.equal(await staffRow('ok@maplegrove.test'), undefined);
    });
  });

  describe('PUT /api/staff/:id', () => {
    it('accepts the whole record as react-admin sends it, applies name and role, and audits the changes', async () => {
      const { body: record } = await create({ email: 'morgan.diaz@maplegrove.test', name: 'Morgan Diaz', role: 'front_desk', password: STRONG });
      const response = await admin.put(`/api/staff/${record.id}`, { ...record, name: 'Morgan Díaz-Reyes', role: 'practice_admin' });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body, { ...record, name: 'Morgan Díaz-Reyes', role: 'practice_admin' });
      const row = (await staffRow('morgan.diaz@maplegrove.test'))!;
      assert.equal(row.name, 'Morgan Díaz-Reyes');
      assert.equal(row.role, 'practice_admin');

      const [event] = await auditOf('staff.updated', record.id);
      assert.equal(event!.actorId, adminId);
      assert.deepEqual(JSON.parse(event!.details), {
        staffUserId: record.id,
        changes: { name: { from: 'Morgan Diaz', to: 'Morgan Díaz-Reyes' }, role: { from: 'front_desk', to: 'practice_admin' } },
      });

      const again = await admin.put(`/api/staff/${record.id}`, response.body);
      assert.equal(again.status, 200);
      assert.equal((await auditOf('staff.updated', record.id)).length, 1, 'saving an unchanged record records nothing');
    });

    it('refuses to change the email address, and validates each field', async () => {
      const desk = (await staffRow(MAPLE_DESK))!;
      const changedEmail = await admin.put(`/api/staff/${desk.id}`, { email: 'someone.else@maplegrove.test', name: 'Devon Clarke' });
      assertApiError(changedEmail, 422);
      assert.match(changedEmail.body.errors.email, /cannot be changed/);
      const sameEmail = await admin.put(`/api/staff/${desk.id}`, { email: 'Desk@MapleGrove.test', name: 'Devon Clarke' });
      assert.equal(sameEmail.status, 200);

      for (const [body, field] of [
        [{ name: '' }, 'name'],
        [{ name: null }, 'name'],
        [{ role: 'owner' }, 'role'],
        [{ active: 'no' }, 'active'],
        [{ password: 'tiny' }, 'password'],
      ] as const) {
        const response = await admin.put(`/api/staff/${desk.id}`, body);
        assertApiError(response, 422);
        assert.ok(response.body.errors[field], `${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
      }
      assertApiError(await admin.put(`/api/staff/${desk.id}`, { passwordHash: 'x' }), 400);
      assert.deepEqual(await staffRow(MAPLE_DESK), desk);
    });

    it('sets a new password: the old one stops working, open sessions end, and the audit says only that it changed', async () => {
      const { body: record } = await create({ email: 'riley.park@maplegrove.test', name: 'Riley Park', role: 'front_desk', password: STRONG });
      const riley = await StaffClient.signIn(t.server, record.email, STRONG);
      const response = await admin.put(`/api/staff/${record.id}`, { password: STRONGER });
      assert.equal(response.status, 200);
      assert.equal((await riley.get('/api/auth/me')).status, 401, 'the session opened with the old password has ended');
      assertApiError(await signIn(record.email, STRONG), 401, 'Invalid email or password');
      assert.equal((await signIn(record.email, STRONGER)).status, 200);

      const [event] = await auditOf('staff.updated', record.id);
      assert.deepEqual(JSON.parse(event!.details).changes, { password: { from: '[hidden]', to: '[changed]' } });
      const everything = JSON.stringify(await sql(t, 'SELECT * FROM audit_events'));
      assert.ok(!everything.includes(STRONGER));
    });

    it('deactivates: the open session stops working, sign-in is refused, and reactivating lets them back in', async () => {
      const { body: record } = await create({ email: 'sam.ortiz@maplegrove.test', name: 'Sam Ortiz', role: 'front_desk', password: STRONG });
      const sam = await StaffClient.signIn(t.server, record.email, STRONG);
      assert.equal((await sam.get('/api/auth/me')).status, 200);

      const response = await admin.put(`/api/staff/${record.id}`, { ...record, active: false });
      assert.equal(response.status, 200);
      assert.equal(response.body.active, false);

      assertApiError(await sam.get('/api/auth/me'), 401);
      assertApiError(await sam.get('/api/patients'), 401);
      const sessions = await sql(t, 'SELECT revokedAt FROM staff_sessions WHERE staffUserId = ?', [record.id]);
      assert.ok(sessions.length > 0 && sessions.every((s) => s.revokedAt !== null), 'every session of the user is revoked');
      assertApiError(await signIn(record.email, STRONG), 401, 'Invalid email or password');

      const listed = await admin.get('/api/staff').query({ filter: '{"active":false}' });
      assert.deepEqual(
        listed.body.map((s: Row) => s.id),
        [record.id],
      );
      const [event] = await auditOf('staff.updated', record.id);
      assert.deepEqual(JSON.parse(event!.details).changes, { active: { from: true, to: false } });

      assert.equal((await admin.put(`/api/staff/${record.id}`, { active: true })).status, 200);
      assert.equal((await signIn(record.email, STRONG)).status, 200);
      assertApiError(await sam.get('/api/auth/me'), 401, 'Please sign in.');
    });

    it('refuses to let an admin deactivate or demote themselves', async () => {
      const before = await staffRow(MAPLE_ADMIN);
      const deactivate = await admin.put(`/api/staff/${adminId}`, { active: false });
      assertApiError(deactivate, 422);
      assert.match(deactivate.body.errors.active, /cannot deactivate your own account/);
      const demote = await admin.put(`/api/staff/${adminId}`, { role: 'front_desk' });
      assertApiError(demote, 422);
      assert.match(demote.body.errors.role, /cannot remove your own practice admin role/);
      assert.deepEqual(await staffRow(MAPLE_ADMIN), before);
      assert.equal((await admin.get('/api/staff')).status, 200, 'still an admin');
    });

    it('lets an admin change their own password while keeping the session they are using', async () => {
      await create({ email: 'priya.shah@maplegrove.test', name: 'Priya Shah', role: 'practice_admin', password: STRONG });
      const here = await StaffClient.signIn(t.server, 'priya.shah@maplegrove.test', STRONG);
      const elsewhere = await StaffClient.signIn(t.server, 'priya.shah@maplegrove.test', STRONG);
      const me = (await here.get('/api/auth/me')).body;
      const response = await here.put(`/api/staff/${me.id}`, { password: STRONGER });
      assert.equal(response.status, 200);
      assert.equal((await here.get('/api/auth/me')).status, 200);
      assertApiError(await elsewhere.get('/api/auth/me'), 401);
    });

    it('has no DELETE: staff are deactivated, never deleted', async () => {
      const desk = (await staffRow(MAPLE_DESK))!;
      const response = await request(t.server).delete(`/api/staff/${desk.id}`).set('Cookie', admin.cookies.join('; ')).set('X-CSRF-Token', admin.csrfToken);
      assert.equal(response.status, 404);
      assert.ok(await staffRow(MAPLE_DESK));
    });

    it('never leaves the practice without an active admin when two admins demote each other at once', async () => {
      // Exactly two admins left, Alicia and Priya; the loser may also find itself already
      // demoted (403) or deactivated (401) at the door, which is just as safe.
      const admins = await sql(t, "SELECT id, email FROM staff_users WHERE practiceId = ? AND role = 'practice_admin' AND active = 1", [MAPLE_GROVE_ID]);
      const other = admins.find((a) => a.email === 'priya.shah@maplegrove.test')!;
      for (const extra of admins.filter((a) => a.id !== adminId && a.id !== other.id)) {
        assert.equal((await admin.put(`/api/staff/${extra.id}`, { role: 'front_desk' })).status, 200);
      }
      const priya = await StaffClient.signIn(t.server, other.email, STRONGER);

      const [first, second] = await Promise.all([
        admin.put(`/api/staff/${other.id}`, { role: 'front_desk' }),
        priya.put(`/api/staff/${adminId}`, { active: false }),
      ]);
      const statuses = [first.status, second.status].sort();
      assert.equal(statuses.filter((s) => s === 200).length, 1, `exactly one change wins: ${statuses}`);
      const loser = first.status === 200 ? second : first;
      assert.ok([401, 403, 422].includes(loser.status), `the other is refused: ${loser.status} ${JSON.stringify(loser.body)}`);
      if (loser.status === 422) assert.match(Object.values(loser.body.errors as Record<string, string>)[0]!, /at least one active practice admin/);
      const remaining = await sql(t, "SELECT id FROM staff_users WHERE practiceId = ? AND role = 'practice_admin' AND active = 1", [MAPLE_GROVE_ID]);
      assert.equal(remaining.length, 1);
    });
  });
});
