import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { DevMailbox } from '../../src/mail/dev-mailbox';
import { MessageSender } from '../../src/mail/message-sender';
import { SmsWebhookTransport } from '../../src/mail/sms-webhook-transport';
import { SmtpEmailTransport } from '../../src/mail/smtp-email-transport';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { MAPLE_DESK, RIVERSIDE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { MAPLE_GROVE, createPendingInvitation, enqueueRegistrationEmail, enqueueSecurityCode, outboxRow, patientWithEmail } from './outbox-fixtures';

/** A stand-in SMS/voice gateway: records what it is sent and answers with the next queued status. */
class FakeGateway {
  readonly received: { headers: IncomingMessage['headers']; body: unknown }[] = [];
  readonly statuses: number[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        const status = this.statuses.shift() ?? 202;
        res.writeHead(status, { 'Content-Type': 'application/json' });
        // A gateway that echoes the request must not get the code into our tables.
        res.end(JSON.stringify(status < 300 ? { id: `gw-${this.received.length}` } : { error: 'busy', echo: this.received.at(-1)!.body }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/send`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

describe('dev mailbox and SMS webhook (no SMTP_URL)', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let dispatcher: OutboxDispatcher;
  let desk: StaffClient;
  const gateway = new FakeGateway();

  before(async () => {
    await gateway.start();
    t = await startTestApp({ seedPatients: 6, label: 'devmailbox', env: { SMS_WEBHOOK_URL: gateway.url, PUBLIC_URL: 'http://localhost:4321' } });
    dispatcher = t.app.get(OutboxDispatcher);
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
  });
  after(async () => {
    await t?.close();
    await gateway.stop();
  });

  describe('emails', () => {
    let outboxId: string;
    let token: string;

    before(async () => {
      const issued = await createPendingInvitation(t, await patientWithEmail(t, MAPLE_GROVE, 0));
      token = issued.token;
      outboxId = (await enqueueRegistrationEmail(t, issued)).id;
      assert.equal(await dispatcher.runOnce(), 1);
    });

    it('are written as JSON files under data/mailbox/ with their working link', () => {
      const file = join(t.dataDir, 'mailbox', `${outboxId}.json`);
      assert.ok(existsSync(file), `${file} exists`);
      assert.equal(statSync(file).mode & 0o077, 0, 'readable by the app user only');
      const stored = JSON.parse(readFileSync(file, 'utf8'));
      assert.deepEqual(Object.keys(stored).sort(), ['channel', 'createdAt', 'html', 'id', 'practiceId', 'subject', 'text', 'to'].sort());
      assert.equal(stored.id, outboxId);
      assert.equal(stored.channel, 'email');
      assert.equal(stored.subject, 'Create your new patient portal account at Maple Grove Family Medicine');
      assert.ok(stored.text.includes(`http://localhost:4321/register/${token}`));
      assert.ok(stored.html.includes(`href="http://localhost:4321/register/${token}"`));
    });

    it('count as sent: the outbox row itself keeps no secret', async () => {
      const row = await outboxRow(t, outboxId);
      assert.equal(row.status, 'sent');
      assert.equal(row.sealedSecret, null);
      assert.equal(row.providerMessageId, `dev-mailbox:${outboxId}`);
    });

    it('are listed by GET /api/dev-mailbox for any staff of the practice, newest first, with Content-Range', async () => {
      const later = await createPendingInvitation(t, await patientWithEmail(t, MAPLE_GROVE, 1));
      const laterId = (await enqueueRegistrationEmail(t, later)).id;
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.equal(await dispatcher.runOnce(), 1);

      const response = await desk.get('/api/dev-mailbox');
      assert.equal(response.status, 200);
      const emails = (response.body as { id: string; channel: string }[]).filter((m) => m.channel === 'email');
      assert.deepEqual(emails.map((m) => m.id).slice(0, 2), [laterId, outboxId]);
      assert.equal(response.headers['content-range'], `dev-mailbox 0-${response.body.length - 1}/${response.body.length}`);
      const first = response.body.find((m: { id: string }) => m.id === outboxId);
      assert.deepEqual(Object.keys(first).sort(), ['channel', 'createdAt', 'html', 'id', 'subject', 'text', 'to']);
      assert.ok(first.text.includes(`/register/${token}`), 'links intact');
    });

    it('are answered one by one by GET /api/dev-mailbox/:id', async () => {
      const response = await desk.get(`/api/dev-mailbox/${outboxId}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.id, outboxId);
      assert.ok(response.body.html.includes(`/register/${token}`));
    });

    it("are not shown to another practice's staff", async () => {
      const riverside = await StaffClient.signIn(t.server, RIVERSIDE_DESK);
      const list = await riverside.get('/api/dev-mailbox');
      assert.equal(list.status, 200);
      assert.ok(!(list.body as { id: string }[]).some((m) => m.id === outboxId));
      const one = await riverside.get(`/api/dev-mailbox/${outboxId}`);
      assert.equal(one.status, 404);
    });

    it('need a signed-in staff user', async () => {
      assert.equal((await request(t.server).get('/api/dev-mailbox')).status, 401);
    });

    it('ignore ids that are not message ids', async () => {
      assert.equal((await desk.get('/api/dev-mailbox/..%2F..%2Fapp-secret')).status, 404);
    });
  });

  describe('text and voice messages', () => {
    let phone: string;
    let issued: Awaited<ReturnType<typeof createPendingInvitation>>;

    before(async () => {
      const patient = await patientWithEmail(t, MAPLE_GROVE, 2);
      phone = patient.phone!;
      issued = await createPendingInvitation(t, patient);
    });

    it('are posted to SMS_WEBHOOK_URL as {to, channel, body}', async () => {
      const message = await enqueueSecurityCode(t, issued, 'sms', phone, '042713');
      assert.equal(await dispatcher.runOnce(), 1);
      const last = gateway.received.at(-1)!;
      assert.deepEqual(last.body, { to: phone, channel: 'sms', body: 'Your Maple Grove Family Medicine security code is 042713. It expires in 10 minutes.' });
      assert.equal(last.headers['content-type'], 'application/json');
      assert.equal(last.headers['idempotency-key'], message.id);
      const row = await outboxRow(t, message.id);
      assert.equal(row.status, 'sent');
      assert.equal(row.sealedSecret, null);
      assert.equal(row.providerMessageId, `gw-${gateway.received.length}`);
      assert.ok(!existsSync(join(t.dataDir, 'mailbox', `${message.id}.json`)), 'not in the dev mailbox');
    });

    it('read the code digit by digit for voice', async () => {
      await enqueueSecurityCode(t, issued, 'voice', phone, '902105');
      assert.equal(await dispatcher.runOnce(), 1);
      const body = gateway.received.at(-1)!.body as { channel: string; body: string };
      assert.equal(body.channel, 'voice');
      assert.match(body.body, /^Your Maple Grove Family Medicine security code is 9 0 2 1 0 5\. .*It expires in 10 minutes\.$/);
    });

    it('are retried when the gateway answers an error, without the code in the stored error', async () => {
      gateway.statuses.push(503);
      const message = await enqueueSecurityCode(t, issued, 'sms', phone, '55123');
      assert.equal(await dispatcher.runOnce(), 1);
      const row = await outboxRow(t, message.id);
      assert.equal(row.status, 'retrying');
      assert.equal(row.lastError, 'The SMS gateway answered HTTP 503');
      assert.notEqual(row.sealedSecret, null);
    });

    it('whose code expired while waiting in the queue are not sent', async () => {
      const message = await enqueueSecurityCode(t, issued, 'sms', phone, '11111');
      await t.dataSource.query('UPDATE outbox_messages SET createdAt = ? WHERE id = ?', [new Date(Date.now() - 11 * 60_000), message.id]);
      const before = gateway.received.length;
      // The 503 message of the previous test is not due yet; only this one is.
      assert.equal(await dispatcher.runOnce(), 1);
      assert.equal(gateway.received.length, before);
      const row = await outboxRow(t, message.id);
      assert.equal(row.status, 'dead');
      assert.equal(row.lastError, 'Security code expired before it could be sent; not sent');
    });

    it('go to the dev mailbox when SMS_WEBHOOK_URL is not set', async () => {
      const config = { ...t.config, sms: { webhookUrl: null } };
      const sender = new MessageSender(new SmtpEmailTransport(config), new SmsWebhookTransport(config), new DevMailbox(config));
      const before = gateway.received.length;
      await sender.send({
        outboxMessageId: '00000000-0000-4000-a000-000000000001',
        practiceId: issued.invitation.practiceId,
        channel: 'sms',
        to: phone,
        subject: null,
        text: 'hello',
        html: null,
      });
      assert.equal(gateway.received.length, before, 'the gateway was not called');
      const response = await desk.get('/api/dev-mailbox/00000000-0000-4000-a000-000000000001');
      assert.equal(response.status, 200);
      assert.deepEqual(
        { channel: response.body.channel, to: response.body.to, text: response.body.text, subject: response.body.subject },
        { channel: 'sms', to: phone, text: 'hello', subject: null },
      );
    });
  });

  it('is refused in production', async () => {
    const mailbox = new DevMailbox({ ...t.config, env: 'production' });
    await assert.rejects(
      mailbox.deliver({
        outboxMessageId: '00000000-0000-4000-a000-000000000002',
        practiceId: 'p',
        channel: 'email',
        to: 'a@example.com',
        subject: 's',
        text: 't',
        html: null,
      }),
      /refused in production/,
    );
    assert.equal(mailbox.offReason, 'The dev mailbox is off in production');
  });
});

describe('dev mailbox when SMTP_URL is set', { skip: mysqlSkip }, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ seedPatients: 1, label: 'devmailboxoff', env: { SMTP_URL: 'smtp://127.0.0.1:2525' } });
  });
  after(async () => t?.close());

  it('answers 404 saying why', async () => {
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const list = await desk.get('/api/dev-mailbox');
    assert.equal(list.status, 404);
    assert.equal(list.body.message, 'The dev mailbox is off because SMTP_URL is set');
    assert.equal((await desk.get('/api/dev-mailbox/00000000-0000-4000-a000-000000000001')).status, 404);
  });
});
