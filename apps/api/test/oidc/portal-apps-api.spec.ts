import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PortalApp } from '../../src/portal-apps/portal-app.entity';
import { dumpAllTables } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

describe('/api/portal-apps: the practice admin registers portal apps', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;

  before(async () => {
    t = await startTestApp({ seedPatients: 2, label: 'portalapps' });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
  });
  after(async () => t?.close());

  it('creates a confidential app: 201 with the secret once, stored only as its SHA-256; lists with Content-Range', async () => {
    const created = await admin.post('/api/portal-apps', {
      name: 'Maple Grove portal',
      redirectUris: ['https://portal.maplegrove.example/callback', 'http://localhost:5173/callback'],
      postLogoutRedirectUris: ['http://127.0.0.1:8080/'],
      backchannelLogoutUri: 'https://portal.maplegrove.example/backchannel-logout',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { clientSecret, ...view } = created.body;
    assert.equal(typeof clientSecret, 'string');
    assert.ok(clientSecret.length >= 43);
    assert.deepEqual(Object.keys(view).sort(), [
      'backchannelLogoutUri',
      'clientId',
      'confidential',
      'createdAt',
      'id',
      'name',
      'postLogoutRedirectUris',
      'redirectUris',
    ]);
    assert.equal(view.confidential, true);
    const row = await t.dataSource.getRepository(PortalApp).findOneByOrFail({ id: view.id });
    assert.equal(row.clientSecretHash, createHash('sha256').update(clientSecret).digest('hex'));
    assert.ok(!(await dumpAllTables(t.dataSource)).includes(clientSecret), 'the secret is stored nowhere');

    const shown = await admin.get(`/api/portal-apps/${view.id}`);
    assert.equal(shown.status, 200);
    assert.equal(shown.body.clientSecret, undefined, 'never shown again');
    const list = await admin.get('/api/portal-apps?range=[0,9]&sort=["name","ASC"]');
    assert.equal(list.status, 200);
    assert.match(list.headers['content-range'], /^portal-apps 0-\d+\/\d+$/);
    assert.ok(list.body.some((app: { id: string }) => app.id === view.id));

    const publicApp = await admin.post('/api/portal-apps', { name: 'Phone app', redirectUris: ['https://app.example/cb'], confidential: false });
    assert.equal(publicApp.status, 201);
    assert.equal(publicApp.body.clientSecret, undefined);

    const updated = await admin.put(`/api/portal-apps/${view.id}`, {
      ...view,
      name: 'Renamed portal',
      redirectUris: ['https://portal.maplegrove.example/cb2'],
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.name, 'Renamed portal');
    assert.equal(updated.body.clientId, view.clientId);

    const removed = await admin.delete(`/api/portal-apps/${publicApp.body.id}`);
    assert.equal(removed.status, 200);
    assert.equal((await admin.get(`/api/portal-apps/${publicApp.body.id}`)).status, 404);
  });

  it('URIs must be https except on localhost and 127.0.0.1: 422 with errors per field', async () => {
    const refused = await admin.post('/api/portal-apps', {
      name: '',
      redirectUris: ['http://portal.example/callback'],
      postLogoutRedirectUris: ['https://ok.example/#fragment'],
      backchannelLogoutUri: 'http://192.168.1.5/logout',
    });
    assert.equal(refused.status, 422);
    assert.deepEqual(Object.keys(refused.body.errors).sort(), ['backchannelLogoutUri', 'name', 'postLogoutRedirectUris', 'redirectUris']);
    assert.equal((await admin.post('/api/portal-apps', { name: 'x', redirectUris: [] })).status, 422);
    assert.equal(
      (await admin.post('/api/portal-apps', { name: 'x', redirectUris: ['https://a.example/cb'], clientSecret: 'mine' })).status,
      400,
      'unknown fields answer 400',
    );
  });

  it('admins only, their own practice only', async () => {
    const app = await admin.post('/api/portal-apps', { name: 'Mine', redirectUris: ['https://a.example/cb'] });
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    assert.equal((await desk.get('/api/portal-apps')).status, 403);
    assert.equal((await desk.post('/api/portal-apps', { name: 'x', redirectUris: ['https://a.example/cb'] })).status, 403);
    const riverside = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
    assert.equal((await riverside.get(`/api/portal-apps/${app.body.id}`)).status, 404);
    assert.equal((await riverside.put(`/api/portal-apps/${app.body.id}`, { name: 'Stolen' })).status, 404);
    assert.equal((await riverside.delete(`/api/portal-apps/${app.body.id}`)).status, 404);
    assert.ok(!(await riverside.get('/api/portal-apps')).body.some((a: { id: string }) => a.id === app.body.id));
    assert.equal((await admin.postWithoutCsrf('/api/portal-apps', { name: 'x', redirectUris: ['https://a.example/cb'] })).status, 403, 'CSRF');
  });
});
