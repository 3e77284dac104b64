import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeDeliveryError } from '../../src/mail/delivery-error';
import { CLAIM_MS, HEARTBEAT_MS, OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { RETRY_CAP_MS, retryDelayMs } from '../../src/outbox/retry-backoff';
import { SmtpCapture } from '../support/smtp-capture';
import { MAPLE_ADMIN, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import {
  MAPLE_GROVE,
  auditEventsFor,
  createPendingInvitation,
  enqueueAccountReady,
  enqueueRegistrationEmail,
  makeDue,
  openAccountOf,
  outboxRow,
  patientWithEmail,
} from './outbox-fixtures';

describe('retry backoff', () => {
  it('starts at 30 s and doubles per failed attempt, with ±20 % jitter, never beyond an hour', () => {
    const middle = () => 0.5;
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs(n, middle)),
      [30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000],
    );
    assert.equal(retryDelayMs(8, middle), RETRY_CAP_MS);
    assert.equal(retryDelayMs(30, middle), RETRY_CAP_MS);
    assert.equal(
      retryDelayMs(1, () => 0),
      24_000,
    );
    assert.equal(
      retryDelayMs(1, () => 1),
      36_000,
    );
    assert.equal(
      retryDelayMs(20, () => 1),
      RETRY_CAP_MS,
    );
    assert.equal(
      retryDelayMs(20, () => 0),
      RETRY_CAP_MS * 0.8,
    );
  });
});

describe('stored delivery errors', () => {
  it('never hold the secret, a live link or a URL password, and stay short', () => {
    const error = Object.assign(new Error('Rejected https://portal.test/register/abc123XYZ for code 40417 via smtp://mailer:hunter2@smtp.test:587'), {
      code: 'EENVELOPE',
    });
    const text = describeDeliveryError(error, ['40417']);
    assert.equal(text, 'EENVELOPE: Rejected https://portal.test/register/[redacted] for code [redacted] via smtp://mailer:***@smtp.test:587');
    assert.equal(describeDeliveryError(new Error('x'.repeat(2000))).length, 500);
    assert.equal(describeDeliveryError(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } })), 'fetch failed (ECONNREFUSED)');
  });
});

describe('delivery failures, retries and dead messages', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let dispatcher: OutboxDispatcher;
  let admin: StaffClient;
  const smtp = new SmtpCapture();

  before(async () => {
    // Learn a free port, then leave nothing listening on it: the mail server is "down".
    await smtp.start();
    await smtp.stop();
    t = await startTestApp({ seedPatients: 10, label: 'outboxfail', env: { SMTP_URL: smtp.url } });
    dispatcher = t.app.get(OutboxDispatcher);
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
  });

  const delivered = (id: string) => smtp.messages.filter((m) => m.parsed.headers.get('x-resetdesk-message-id') === id);

  describe('an SMTP outage', () => {
    let message: OutboxMessage;
    let token: string;

    before(async () => {
      const issued = await createPendingInvitation(t, await patientWithEmail(t, MAPLE_GROVE, 0));
      token = issued.token;
      message = await enqueueRegistrationEmail(t, issued);
    });

    it('leaves the message retrying with the reason and a backoff of about 30 s, secret kept for the retry', async () => {
      const startedAt = Date.now();
      assert.equal(await dispatcher.runOnce(), 1);
      const row = await outboxRow(t, message.id);
      assert.equal(row.status, 'retrying');
      assert.equal(row.attempts, 1);
      assert.match(row.lastError ?? '', /ECONNREFUSED/);
      assert.ok(!row.lastError!.includes(token));
      const wait = row.nextAttemptAt.getTime() - startedAt;
      assert.ok(wait >= 23_000 && wait <= 37_000, `next attempt in ${wait} ms`);
      assert.notEqual(row.sealedSecret, null, 'the sealed link stays until it is delivered');
      assert.equal(row.claimedUntil, null);
      const events = await auditEventsFor(t, message.id);
      assert.deepEqual(
        events.map((e) => [e.action, e.details.dead, e.details.attempts]),
        [['email.failed', false, 1]],
      );
      assert.match(String(events[0]!.details.error), /ECONNREFUSED/);
    });

    it('does not try again before the backoff has passed', async () => {
      assert.equal(await dispatcher.runOnce(), 0);
      assert.equal((await outboxRow(t, message.id)).attempts, 1);
    });

    it('delivers exactly once when the server is back and the time has come', async () => {
      await smtp.start();
      await makeDue(t, message.id);
      assert.equal(await dispatcher.runOnce(), 1);
      await smtp.waitFor((m) => m.parsed.headers.get('x-resetdesk-message-id') === message.id);
      assert.equal(await dispatcher.runOnce(), 0);
      assert.equal(delivered(message.id).length, 1);
      assert.ok(delivered(message.id)[0]!.parsed.text!.includes(`/register/${token}`));
      const row = await outboxRow(t, message.id);
      assert.equal(row.status, 'sent');
      assert.equal(row.sealedSecret, null);
      assert.deepEqual(
        (await auditEventsFor(t, message.id)).map((e) => [e.action, e.details.attempts]),
        [
          ['email.failed', 1],
          ['email.sent', 2],
        ],
      );
    });

    it('refuses to retry a sent message (409): its link is gone', async () => {
      const response = await admin.post(`/api/emails/${message.id}/retry`);
      assert.equal(response.status, 409);
      assert.match(response.body.message, /already sent/);
      assert.equal((await outboxRow(t, message.id)).status, 'sent');
    });
  });

  describe('a message that keeps failing', () => {
    let message: OutboxMessage;

    before(async () => {
      await smtp.stop();
      const issued = await createPendingInvitation(t, await patientWithEmail(t, MAPLE_GROVE, 1));
      message = await enqueueRegistrationEmail(t, issued, 2);
    });

    it('is dead after maxAttempts, keeping its last error and its sealed link', async () => {
      assert.equal(await dispatcher.runOnce(), 1);
      assert.equal((await outboxRow(t, message.id)).status, 'retrying');
      await makeDue(t, message.id);
      assert.equal(await dispatcher.runOnce(), 1);

      const row = await outboxRow(t, message.id);
      assert.equal(row.status, 'dead');
      assert.equal(row.attempts, 2);
      assert.match(row.lastError ?? '', /ECONNREFUSED/);
      assert.notEqual(row.sealedSecret, null);
      await makeDue(t, message.id);
      assert.equal(await dispatcher.runOnce(), 0, 'a dead message is not picked up');
      const events = await auditEventsFor(t, message.id);
      assert.deepEqual(
        events.map((e) => [e.action, e.details.dead]),
        [
          ['email.failed', false],
          ['email.failed', true],
        ],
      );
    });

    it('comes back with the retry endpoint: retrying, due now, attempts kept, a few more allowed, audited', async () => {
      const response = await admin.post(`/api/emails/${message.id}/retry`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.status, 'retrying');
      assert.equal(response.body.attempts, 2);
      assert.equal(response.body.maxAttempts, 5);
      const row = await outboxRow(t, message.id);
      assert.equal(row.status, 'retrying');
      assert.ok(row.nextAttemptAt.getTime() <= Date.now());
      const retried = (await auditEventsFor(t, message.id)).filter((e) => e.action === 'email.retried');
      assert.equal(retried.length, 1);
      assert.equal(retried[0]!.actorType, 'staff');

      await smtp.start();
      assert.equal(await dispatcher.runOnce(), 1);
      assert.equal((await outboxRow(t, message.id)).status, 'sent');
      assert.equal(delivered(message.id).length, 1);
    });

    it('answers 409 when a message is only queued', async () => {
      await smtp.stop();
      const queued = await enqueueAccountReady(t, await openAccountOf(t, MAPLE_GROVE), 'queued@example.com');
      const response = await admin.post(`/api/emails/${queued.id}/retry`);
      assert.equal(response.status, 409);
      assert.match(response.body.message, /already waiting/);
      await t.dataSource.getRepository(OutboxMessage).delete({ id: queued.id });
    });

    it('answers 409 for a dead message whose link was erased (its invitation was revoked)', async () => {
      const issued = await createPendingInvitation(t, await patientWithEmail(t, MAPLE_GROVE, 2));
      const doomed = await enqueueRegistrationEmail(t, issued);
      await createPendingInvitation(t, await patientWithEmail(t, MAPLE_GROVE, 2)); // revokes the first
      assert.equal(await dispatcher.runOnce(), 1);
      assert.equal((await outboxRow(t, doomed.id)).status, 'dead');
      const response = await admin.post(`/api/emails/${doomed.id}/retry`);
      assert.equal(response.status, 409);
      assert.match(response.body.message, /link or code was erased/);
    });
  });

  describe('a sender that crashed mid-delivery', () => {
    before(async () => {
      await smtp.stop();
      await smtp.start();
    });

    it('leaves a claim that another dispatcher takes over once it expires, counting the lost attempt', async () => {
      const account = await openAccountOf(t, MAPLE_GROVE);
      const stale = await enqueueAccountReady(t, account, 'stale-claim@example.com');
      const live = await enqueueAccountReady(t, account, 'live-claim@example.com');
      const repo = t.dataSource.getRepository(OutboxMessage);
      await repo.update({ id: stale.id }, { status: 'sending', claimedUntil: new Date(Date.now() - 1000) });
      await repo.update({ id: live.id }, { status: 'sending', claimedUntil: new Date(Date.now() + 60_000) });

      assert.equal(await dispatcher.runOnce(), 1);

      const taken = await outboxRow(t, stale.id);
      assert.equal(taken.status, 'sent');
      assert.equal(taken.attempts, 2, 'the abandoned attempt counts, and so does the delivery');
      assert.equal(delivered(stale.id).length, 1);
      const untouched = await outboxRow(t, live.id);
      assert.equal(untouched.status, 'sending', 'a live claim is left alone');
      assert.equal(delivered(live.id).length, 0);
      await repo.delete({ id: live.id });
    });

    it('renews its claim while a slow delivery runs, so another dispatcher does not take the message over', async () => {
      const release = smtp.holdAcceptance();
      dispatcher.claimMs = 3_000;
      dispatcher.heartbeatMs = 300;
      try {
        const message = await enqueueAccountReady(t, await openAccountOf(t, MAPLE_GROVE), 'slow-server@example.com');
        const round = dispatcher.runOnce();
        await smtp.waitFor((m) => m.parsed.headers.get('x-resetdesk-message-id') === message.id);
        const firstClaim = (await outboxRow(t, message.id)).claimedUntil!;
        // Wait on states: the first claim's expiry passes, and the claim has been moved beyond it.
        for (;;) {
          const row = await outboxRow(t, message.id);
          if (Date.now() > firstClaim.getTime() && row.claimedUntil && row.claimedUntil.getTime() > Date.now()) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.equal(await dispatcher.runOnce(), 0, 'the renewed claim is not due: nobody else takes the message');
        assert.equal((await outboxRow(t, message.id)).status, 'sending');

        release();
        assert.equal(await round, 1);
        const row = await outboxRow(t, message.id);
        assert.equal(row.status, 'sent');
        assert.equal(row.attempts, 1, 'one attempt: the slow delivery was never counted as abandoned');
        assert.equal(delivered(message.id).length, 1);
      } finally {
        release();
        dispatcher.claimMs = CLAIM_MS;
        dispatcher.heartbeatMs = HEARTBEAT_MS;
      }
    });

    it('gives up on a message whose senders keep crashing once its attempts are used up', async () => {
      const poison = await enqueueAccountReady(t, await openAccountOf(t, MAPLE_GROVE), 'poison@example.com', 3);
      await t.dataSource.getRepository(OutboxMessage).update({ id: poison.id }, { status: 'sending', attempts: 2, claimedUntil: new Date(Date.now() - 1000) });
      assert.equal(await dispatcher.runOnce(), 1, 'processed: given up on');
      const row = await outboxRow(t, poison.id);
      assert.equal(row.status, 'dead');
      assert.equal(row.attempts, 3);
      assert.match(row.lastError ?? '', /did not finish/);
      assert.equal(delivered(poison.id).length, 0);
      assert.deepEqual(
        (await auditEventsFor(t, poison.id)).map((e) => [e.action, e.details.dead]),
        [['email.failed', true]],
      );
    });
  });
});
