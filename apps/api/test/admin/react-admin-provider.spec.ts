import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HttpClient, HttpError, loadSimpleRestProvider, sessionHttpClient, simpleRestSkip } from '../support/simple-rest-client';
import { MAPLE_ADMIN, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { sql } from './admin-support';

/** The react-admin DataProvider methods the console's Staff and Audit log screens use. */
interface Provider {
  getList(resource: string, params: object): Promise<{ data: any[]; total?: number }>;
  getOne(resource: string, params: object): Promise<{ data: any }>;
  getMany(resource: string, params: object): Promise<{ data: any[] }>;
  getManyReference(resource: string, params: object): Promise<{ data: any[]; total?: number }>;
  create(resource: string, params: object): Promise<{ data: any }>;
  update(resource: string, params: object): Promise<{ data: any }>;
}

describe('staff and audit log through the real ra-data-simple-rest provider', { skip: mysqlSkip || simpleRestSkip }, () => {
  let t: TestApp;
  let provider: Provider;

  before(async () => {
    t = await startTestApp({ seedPatients: 1, label: 'adminra' });
    const admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    const client = sessionHttpClient(admin.cookies);
    // The console's http client adds the CSRF header to writes; so does this one.
    const withCsrf: HttpClient = (url, options = {}) =>
      client(url, { ...options, headers: { ...(options.headers as Record<string, string> | undefined), 'X-CSRF-Token': admin.csrfToken } });
    const factory = await loadSimpleRestProvider();
    provider = factory(`${t.url}/api`, withCsrf) as unknown as Provider;
  });
  after(async () => t?.close());

  it('lists, creates, reads and updates staff with whole records, as the Staff screens do', async () => {
    const listed = await provider.getList('staff', { pagination: { page: 1, perPage: 50 }, sort: { field: 'name', order: 'ASC' }, filter: {} });
    assert.equal(listed.total, 2);
    assert.deepEqual(
      listed.data.map((s) => s.email),
      ['admin@maplegrove.test', 'desk@maplegrove.test'],
    );

    const created = await provider.create('staff', {
      data: { email: 'taylor.kim@maplegrove.test', name: 'Taylor Kim', role: 'front_desk', password: 'harbor-tulip-engine-63' },
    });
    assert.equal(created.data.email, 'taylor.kim@maplegrove.test');

    const { data: record } = await provider.getOne('staff', { id: created.data.id });
    const updated = await provider.update('staff', { id: record.id, data: { ...record, name: 'Taylor Kim-Ng', active: false }, previousData: record });
    assert.deepEqual(updated.data, { ...record, name: 'Taylor Kim-Ng', active: false });
    const [row] = await sql(t, 'SELECT name, active FROM staff_users WHERE id = ?', [record.id]);
    assert.deepEqual({ name: row!.name, active: !!row!.active }, { name: 'Taylor Kim-Ng', active: false });

    await assert.rejects(
      provider.create('staff', { data: { email: 'Taylor.Kim@maplegrove.test', name: 'Again', role: 'front_desk', password: 'harbor-tulip-engine-63' } }),
      (error: unknown) => error instanceof HttpError && error.status === 409 && error.message === 'A staff account with that email already exists.',
    );
  });

  it('lists audit events with filters, fetches many by id and by reference, as the Audit log screens do', async () => {
    const updates = await provider.getList('audit-events', {
      pagination: { page: 1, perPage: 25 },
      sort: { field: 'createdAt', order: 'DESC' },
      filter: { action: 'staff.updated' },
    });
    assert.equal(updates.total, 1);
    assert.deepEqual(updates.data[0].details.changes, { name: { from: 'Taylor Kim', to: 'Taylor Kim-Ng' }, active: { from: true, to: false } });

    const all = await provider.getList('audit-events', { pagination: { page: 1, perPage: 2 }, sort: { field: 'createdAt', order: 'DESC' }, filter: {} });
    const [{ n }] = await sql(
      t,
      "SELECT COUNT(*) AS n FROM audit_events WHERE practiceId = (SELECT practiceId FROM staff_users WHERE email = 'admin@maplegrove.test')",
    );
    assert.equal(all.total, Number(n));
    assert.equal(all.data.length, 2);

    const many = await provider.getMany('audit-events', { ids: all.data.map((e) => e.id) });
    assert.deepEqual(many.data.map((e) => e.id).sort(), all.data.map((e) => e.id).sort());

    const byActor = await provider.getManyReference('audit-events', {
      target: 'actorId',
      id: updates.data[0].actorId,
      pagination: { page: 1, perPage: 100 },
      sort: { field: 'createdAt', order: 'DESC' },
      filter: { action: ['staff.created', 'staff.updated'] },
    });
    assert.deepEqual(
      byActor.data.map((e) => e.action),
      ['staff.updated', 'staff.created'],
    );
  });
});
