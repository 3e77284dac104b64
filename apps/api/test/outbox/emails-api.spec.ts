import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import {
  MAPLE_GROVE,
  RIVERSIDE,
  createPendingInvitation,
  enqueueAccountReady,
  enqueueRegistrationEmail,
  enqueueSecurityCode,
  openAccountOf,
  patientWithEmail,
} from './outbox-fixtures';

const PUBLIC_URL = 'https://portal.example.test';

describe('admin email API', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let mapleRegistration: OutboxMessage;
  let mapleToken: string;
  let mapleSentRegistration: OutboxMessage;
  let sentToken: string;
  let mapleCode: OutboxMessage;
  let riversideMessage: OutboxMessage;

  before(async () => {
    t = await startTestApp({ seedPatients: 6, label: 'emailsapi', env: { PUBLIC_URL } });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);

    const sent = await createPendingInvitation(t, await patientWithEmail(t, MAPLE_GROVE, 0));
    sentToken = sent.token;
    mapleSentRegistration = await enqueueRegistrationEmail(t, sent);
    riversideMessage = await enqueueAccountReady(t, await openAccountOf(t, RIVERSIDE), 'river@example.com');
    assert.equal(await t.app.get(OutboxDispatcher).runOnce(), 2);

    const queued = await createPendingInvitation(t, await patientWithEmail(t, MAPLE_GROVE, 1));
    mapleToken = queued.token;
    mapleRegistration = await enqueueRegistrationEmail(t, queued);
    const phonePatient = await patientWithEmail(t, MAPLE_GROVE, 2);
    mapleCode = await enqueueSecurityCode(t, await createPendingInvitation(t, phonePatient), 'sms', phonePatient.phone!, '31415');
  });
  after(async () => t?.close());

  it('is for practice admins: front desk gets 403, nobody signed in 401', async () => {
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    for (const path of ['/api/emails', `/api/emails/${mapleRegistration.id}`, `/api/emails/${mapleRegistration.id}/preview`]) {
      assert.equal((await desk.get(path)).status, 403, path);
      assert.equal((await request(t.server).get(path)).status, 401, path);
    }
    assert.equal((await desk.post(`/api/emails/${mapleRegistration.id}/retry`)).status, 403);
  });

  it("lists the practice's messages newest first with Content-Range, in the documented shape", async () => {
    const response = await admin.get('/api/emails');
    assert.equal(response.status, 200);
    const ids = (response.body as { id: string }[]).map((m) => m.id);
    assert.deepEqual(ids, [mapleCode.id, mapleRegistration.id, mapleSentRegistration.id]);
    assert.equal(response.headers['content-range'], 'emails 0-2/3');
    const item = response.body.find((m: { id: string }) => m.id === mapleSentRegistration.id);
    assert.deepEqual(Object.keys(item).sort(), [
      'attempts',
      'channel',
      'createdAt',
      'id',
      'lastError',
      'maxAttempts',
      'nextAttemptAt',
      'patientId',
      'sentAt',
      'status',
      'subject',
      'template',
      'to',
    ]);
    assert.equal(item.status, 'sent');
    assert.equal(item.to, mapleSentRegistration.toAddress);
    assert.equal(item.subject, 'Create your new patient portal account at Maple Grove Family Medicine');
    assert.equal(item.nextAttemptAt, null);
    assert.match(item.sentAt, /^\d{4}-\d{2}-\d{2}T/);
    assert.ok(!JSON.stringify(response.body).includes('sealedSecret'));
  });

  it('filters by status, channel, template, patientId and address prefix, and pages', async () => {
    const ids = async (filter: object, extra = '') => {
      const response = await admin.get(`/api/emails?filter=${encodeURIComponent(JSON.stringify(filter))}${extra}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return (response.body as { id: string }[]).map((m) => m.id).sort();
    };
    assert.deepEqual(await ids({ status: 'queued' }), [mapleRegistration.id, mapleCode.id].sort());
    assert.deepEqual(await ids({ channel: 'sms' }), [mapleCode.id]);
    assert.deepEqual(await ids({ template: 'registration-email' }), [mapleSentRegistration.id, mapleRegistration.id].sort());
    assert.deepEqual(await ids({ patientId: mapleRegistration.patientId }), [mapleRegistration.id]);
    assert.deepEqual(await ids({ q: mapleCode.toAddress.slice(0, 5) }), [mapleCode.id]);
    assert.deepEqual(await ids({ q: 'river' }), [], 'not another practice');

    const page = await admin.get(`/api/emails?range=${encodeURIComponent('[1,1]')}&sort=${encodeURIComponent('["createdAt","ASC"]')}`);
    assert.equal(page.status, 200);
    assert.equal(page.body.length, 1);
    assert.equal(page.headers['content-range'], 'emails 1-1/3');
  });

  it('answers 400 for malformed or unknown filters and sorts', async () => {
    for (const query of [
      'filter=notjson',
      `filter=${encodeURIComponent('{"status":"lost"}')}`,
      `filter=${encodeURIComponent('{"colour":"red"}')}`,
      `sort=${encodeURIComponent('["sealedSecret","ASC"]')}`,
    ]) {
      const response = await admin.get(`/api/emails?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(typeof response.body.message, 'string');
    }
  });

  it('answers one message by id', async () => {
    const response = await admin.get(`/api/emails/${mapleCode.id}`);
    assert.equal(response.status, 200);
    assert.equal(response.body.channel, 'sms');
    assert.equal(response.body.template, 'security-code');
    assert.equal(response.body.status, 'queued');
    assert.match(response.body.nextAttemptAt, /^\d{4}-/);
  });

  it("answers 404 for another practice's message, exactly as for a missing one", async () => {
    const missing = await admin.get('/api/emails/00000000-0000-4000-a000-000000000000');
    assert.equal(missing.status, 404);
    for (const path of [`/api/emails/${riversideMessage.id}`, `/api/emails/${riversideMessage.id}/preview`]) {
      const response = await admin.get(path);
      assert.equal(response.status, 404, path);
      assert.deepEqual(response.body, missing.body);
    }
    const retry = await admin.post(`/api/emails/${riversideMessage.id}/retry`);
    assert.equal(retry.status, 404);
    const riverside = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
    assert.equal((await riverside.get(`/api/emails/${riversideMessage.id}`)).status, 200, 'its own admin sees it');
  });

  it('previews a queued registration email with the link redacted', async () => {
    const response = await admin.get(`/api/emails/${mapleRegistration.id}/preview`);
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), ['html', 'subject', 'text']);
    assert.equal(response.body.subject, 'Create your new patient portal account at Maple Grove Family Medicine');
    assert.ok(response.body.text.includes(`${PUBLIC_URL}/register/REDACTED`));
    assert.ok(response.body.html.includes(`href="${PUBLIC_URL}/register/REDACTED"`));
    assert.ok(!JSON.stringify(response.body).includes(mapleToken), 'never the live token');
  });

  it('previews a sent message (its invitation may be used by now) the same way', async () => {
    const response = await admin.get(`/api/emails/${mapleSentRegistration.id}/preview`);
    assert.equal(response.status, 200);
    assert.ok(response.body.text.includes('/register/REDACTED'));
    assert.ok(!JSON.stringify(response.body).includes(sentToken));
  });

  it('previews a security code as dots', async () => {
    const response = await admin.get(`/api/emails/${mapleCode.id}/preview`);
    assert.equal(response.status, 200);
    assert.equal(response.body.subject, null);
    assert.equal(response.body.html, null);
    assert.equal(response.body.text, 'Your Maple Grove Family Medicine security code is ••••••. It expires in 10 minutes.');
    assert.ok(!response.body.text.includes('31415'));
  });

  it('answers 409 to a retry of a queued message', async () => {
    const response = await admin.post(`/api/emails/${mapleRegistration.id}/retry`);
    assert.equal(response.status, 409);
    assert.deepEqual(Object.keys(response.body).sort(), ['code', 'error', 'message', 'statusCode']);
  });

  it('needs the CSRF header to retry', async () => {
    assert.equal((await admin.postWithoutCsrf(`/api/emails/${mapleRegistration.id}/retry`)).status, 403);
  });

  it('is described in the OpenAPI document', async () => {
    const response = await request(t.server).get('/api/docs-json');
    assert.equal(response.status, 200);
    for (const path of ['/api/emails', '/api/emails/{id}', '/api/emails/{id}/preview', '/api/emails/{id}/retry', '/api/dev-mailbox', '/api/dev-mailbox/{id}']) {
      assert.ok(response.body.paths[path], path);
    }
  });
});
