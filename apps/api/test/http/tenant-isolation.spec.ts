import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { assertApiError } from '../support/api-assertions';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

const NOT_FOUND = 'That patient was not found.';
const PATIENT_GET_ROUTES = ['', '/chart', '/portal-history'];

/**
 * Tenant isolation from the outside: Maple Grove staff probing Riverside's patients must learn
 * nothing, not even that the id exists, and must not be able to change anything.
 */
describe('tenant isolation', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let mapleDesk: StaffClient;
  let mapleAdmin: StaffClient;
  let riversideDesk: StaffClient;
  let documentedRoutes: Set<string>;
  let maplePatientIds: string[];
  let riversidePatients: { id: string; mrn: string; email: string | null; phone: string; lastName: string }[];

  /** Everything a write could touch for one patient, to prove a refused request changed nothing. */
  const footprint = async (patientId: string) => {
    const tables = ['portal_accounts', 'registration_invitations', 'password_reset_requests', 'outbox_messages', 'audit_events', 'idempotency_keys'];
    const snapshot: Record<string, unknown> = {};
    for (const table of tables) {
      snapshot[table] =
        table === 'idempotency_keys'
          ? await t.dataSource.query('SELECT * FROM idempotency_keys ORDER BY id')
          : await t.dataSource.query(`SELECT * FROM ${table} WHERE patientId = ? ORDER BY id`, [patientId]);
    }
    snapshot.patient = await t.dataSource.query('SELECT * FROM patients WHERE id = ?', [patientId]);
    return JSON.stringify(snapshot);
  };

  before(async () => {
    t = await startTestApp({ seedPatients: 40, label: 'fdntenant' });
    [mapleDesk, mapleAdmin, riversideDesk] = await Promise.all([
      StaffClient.signIn(t.server, MAPLE_DESK),
      StaffClient.signIn(t.server, MAPLE_ADMIN),
      StaffClient.signIn(t.server, RIVERSIDE_DESK),
    ]);
    const docs = await mapleDesk.get('/api/docs-json');
    documentedRoutes = new Set(
      Object.entries<Record<string, unknown>>(docs.body.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
    );
    maplePatientIds = (await t.dataSource.query('SELECT id FROM patients WHERE practiceId = ? ORDER BY id', [MAPLE_GROVE_ID])).map((r: { id: string }) => r.id);
    riversidePatients = await t.dataSource.query('SELECT id, mrn, email, phone, lastName FROM patients WHERE practiceId = ? ORDER BY id', [RIVERSIDE_ID]);
    assert.equal(maplePatientIds.length, 40);
    assert.equal(riversidePatients.length, 40);
  });
  after(async () => t?.close());

  describe('patient routes', () => {
    for (const suffix of PATIENT_GET_ROUTES) {
      it(`GET /api/patients/:id${suffix} answers a Riverside id exactly like a missing or malformed one`, async () => {
        const foreignId = riversidePatients[0]!.id;
        const control = await riversideDesk.get(`/api/patients/${foreignId}${suffix}`);
        assert.equal(control.status, 200, 'the id is real: its own practice can open it');

        const eventsBefore = await t.dataSource.query('SELECT COUNT(*) AS n FROM audit_events WHERE patientId = ?', [foreignId]);
        const foreign = await mapleDesk.get(`/api/patients/${foreignId}${suffix}`);
        const missing = await mapleDesk.get(`/api/patients/${randomUUID()}${suffix}`);
        const garbage = await mapleDesk.get(`/api/patients/not-a-patient-id${suffix}`);
        const sqlish = await mapleDesk.get(`/api/patients/${encodeURIComponent(`${foreignId}' OR '1'='1`)}${suffix}`);
        for (const response of [foreign, missing, garbage, sqlish]) assertApiError(response, 404, NOT_FOUND);
        assert.deepEqual(foreign.body, missing.body);
        assert.deepEqual(foreign.body, garbage.body);
        assert.deepEqual(foreign.body, sqlish.body);

        const eventsAfter = await t.dataSource.query('SELECT COUNT(*) AS n FROM audit_events WHERE patientId = ?', [foreignId]);
        assert.equal(Number(eventsAfter[0].n), Number(eventsBefore[0].n), 'a refused read writes no audit event about the foreign patient');
      });
    }

    it('GET /api/patients never lists another practice’s patients (every id of a full page)', async () => {
      const page = await mapleDesk.get('/api/patients').query({ range: JSON.stringify([0, 499]) });
      assert.equal(page.status, 200);
      assert.equal(page.headers['content-range'], `patients 0-39/40`);
      const ids = page.body.map((p: { id: string }) => p.id).sort();
      assert.deepEqual(ids, maplePatientIds, 'exactly the Maple Grove patients');

      const theirs = await riversideDesk.get('/api/patients').query({ range: JSON.stringify([0, 499]) });
      const riversideIds = new Set(riversidePatients.map((p) => p.id));
      assert.equal(theirs.body.length, 40);
      assert.ok(theirs.body.every((p: { id: string }) => riversideIds.has(p.id)));
    });

    it('search finds nothing of another practice by MRN, phone, email or name', async () => {
      const mapleLastNames = new Set(
        (await t.dataSource.query('SELECT lastName FROM patients WHERE practiceId = ?', [MAPLE_GROVE_ID])).map((r: { lastName: string }) => r.lastName),
      );
      const target = riversidePatients.find((p) => p.email && !mapleLastNames.has(p.lastName)) ?? riversidePatients.find((p) => p.email)!;
      const queries = [target.mrn, target.phone, target.phone.replace(/^\+1(\d{3})(\d{3})(\d{4})$/, '($1) $2-$3'), target.email!];
      if (!mapleLastNames.has(target.lastName)) queries.push(target.lastName);
      for (const q of queries) {
        const control = await riversideDesk.get('/api/patients').query({ filter: JSON.stringify({ q }), range: '[0,499]' });
        assert.ok(
          control.body.some((p: { id: string }) => p.id === target.id),
          `Riverside finds its patient by "${q}"`,
        );
        const probe = await mapleDesk.get('/api/patients').query({ filter: JSON.stringify({ q }), range: '[0,499]' });
        assert.equal(probe.status, 200);
        assert.deepEqual(probe.body, [], `Maple Grove finds nothing for "${q}"`);
        assert.match(probe.headers['content-range'], /\/0$/);
      }
    });

    it('filter={"id":[...]} with foreign ids answers nothing, and only the own ids of a mixed list', async () => {
      const foreignIds = riversidePatients.slice(0, 5).map((p) => p.id);
      const onlyForeign = await mapleDesk.get('/api/patients').query({ filter: JSON.stringify({ id: foreignIds }) });
      assert.equal(onlyForeign.status, 200);
      assert.deepEqual(onlyForeign.body, []);
      assert.match(onlyForeign.headers['content-range'], /\/0$/);

      const mixed = await mapleDesk.get('/api/patients').query({ filter: JSON.stringify({ id: [...foreignIds, maplePatientIds[0]] }) });
      assert.deepEqual(
        mixed.body.map((p: { id: string }) => p.id),
        [maplePatientIds[0]],
      );
    });
  });

  describe('patient writes (portal reset, resend, unlock)', () => {
    const writes: { route: string; body: object; pick: (rows: { status: string | null }) => boolean }[] = [
      { route: 'portal-reset', body: { reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' }, pick: (r) => r.status === 'active' },
      { route: 'invitation/resend', body: {}, pick: (r) => r.status === null },
      { route: 'portal-unlock', body: {}, pick: (r) => r.status === 'locked' },
    ];

    for (const write of writes) {
      it(`POST /api/patients/:id/${write.route} with a Riverside id answers 404 like a missing one and changes nothing`, async () => {
        const candidates: { id: string; status: string | null }[] = await t.dataSource.query(
          `SELECT p.id, pa.status FROM patients p LEFT JOIN portal_accounts pa ON pa.patientId = p.id AND pa.openMarker = 1 WHERE p.practiceId = ? AND p.email IS NOT NULL ORDER BY p.id`,
          [RIVERSIDE_ID],
        );
        // A patient the write would really apply to in its own practice, so only the tenant check stands in the way.
        const target = candidates.find(write.pick) ?? candidates[0]!;
        const before = await footprint(target.id);

        const foreign = await mapleDesk.post(`/api/patients/${target.id}/${write.route}`, write.body).set('Idempotency-Key', randomUUID());
        const missing = await mapleDesk.post(`/api/patients/${randomUUID()}/${write.route}`, write.body).set('Idempotency-Key', randomUUID());
        // Until the route exists this is Nest's unknown-route 404; both must still be the spec error shape.
        const exists = documentedRoutes.has(`POST /api/patients/{id}/${write.route}`);
        assertApiError(foreign, 404, exists ? NOT_FOUND : undefined);
        assertApiError(missing, 404, exists ? NOT_FOUND : undefined);
        assert.deepEqual(foreign.body, missing.body);
        assert.equal(await footprint(target.id), before, 'nothing of the Riverside patient changed');
      });
    }
  });

  describe('every documented patient route', () => {
    it('answers a Riverside id exactly like a missing one, whatever the method, and changes nothing', async () => {
      const routes = [...documentedRoutes].filter((route) => /^(GET|POST|PUT|PATCH|DELETE) \/api\/patients\/\{id\}/.test(route));
      assert.ok(routes.length >= 3, `patient routes in the OpenAPI document: ${routes.join(', ')}`);
      const target = riversidePatients[1]!;
      const before = await footprint(target.id);
      const differences: string[] = [];
      for (const route of routes) {
        const [method, path] = route.split(' ') as [string, string];
        const call = (id: string) => {
          const url = path.replace('{id}', id).replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000');
          if (method === 'GET') return mapleDesk.get(url);
          const agent = request(t.server);
          const req = agent[method.toLowerCase() as 'post'](url).set('Cookie', mapleDesk.cookies.join('; ')).set('X-CSRF-Token', mapleDesk.csrfToken);
          return req.set('Idempotency-Key', randomUUID()).send({});
        };
        const foreign = await call(target.id);
        const missing = await call(randomUUID());
        // Whatever the answer (404, or 422 for an empty body), it must not depend on whether the id exists elsewhere.
        if (foreign.status !== missing.status || JSON.stringify(foreign.body) !== JSON.stringify(missing.body)) {
          differences.push(`${route}: foreign ${foreign.status} ${JSON.stringify(foreign.body)} vs missing ${missing.status} ${JSON.stringify(missing.body)}`);
        }
        assert.ok(foreign.status >= 400 && foreign.status < 500, `${route} answers a foreign id with ${foreign.status}`);
      }
      assert.deepEqual(differences, []);
      assert.equal(await footprint(target.id), before);
    });
  });

  describe('admin routes refuse front-desk staff', () => {
    // These routes are being written in parallel by other engineers (audit log, outbox, staff
    // admin). Until a route exists it answers 404 and its test here fails on purpose: the
    // assertion is the contract (product spec section 3: "A front-desk user on an admin route gets 403").
    for (const path of ['/api/audit-events', '/api/emails', '/api/staff']) {
      it(`GET ${path} answers 403 to a front-desk user and 200 to a practice admin`, async () => {
        const refused = await mapleDesk.get(path);
        assertApiError(refused, 403);
        const allowed = await mapleAdmin.get(path);
        assert.equal(allowed.status, 200, `${path} for an admin: ${allowed.status} ${JSON.stringify(allowed.body).slice(0, 200)}`);
      });
    }
  });
});
