import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import mysql from 'mysql2/promise';
import { NestExpressApplication } from '@nestjs/platform-express';
import { createApp } from '../../src/app.factory';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { SmtpCapture } from '../support/smtp-capture';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { MAPLE_GROVE, enqueueAccountReady, openAccountOf } from './outbox-fixtures';

/**
 * Runs rounds until nothing is left to send; answers how many messages this dispatcher claimed.
 * A round that finds everything locked by the other dispatchers claims 0 and simply goes again.
 */
async function drain(dispatcher: OutboxDispatcher, t: TestApp): Promise<number> {
  let total = 0;
  for (let round = 0; round < 100; round++) {
    total += await dispatcher.runOnce();
    const waiting = await t.dataSource.getRepository(OutboxMessage).count({ where: [{ status: 'queued' }, { status: 'sending' }] });
    if (waiting === 0) return total;
  }
  throw new Error('The outbox did not drain');
}

describe('several dispatchers on one database', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let second: NestExpressApplication;
  const smtp = new SmtpCapture();

  before(async () => {
    await smtp.start();
    t = await startTestApp({ seedPatients: 4, label: 'outboxrace', env: { SMTP_URL: smtp.url } });
    // A second application on the same database: another process, as far as the database can tell.
    second = await createApp(t.config);
    await second.init();
  });
  after(async () => {
    await second?.close();
    await t?.close();
    await smtp.stop();
  });

  it('deliver each of 30 queued messages exactly once', async () => {
    const account = await openAccountOf(t, MAPLE_GROVE);
    const queued: OutboxMessage[] = [];
    for (let i = 0; i < 30; i++) queued.push(await enqueueAccountReady(t, account, `race-${i}@example.com`));

    const a = t.app.get(OutboxDispatcher);
    const b = second.get(OutboxDispatcher);
    assert.notEqual(a, b);
    const claimed = await Promise.all([drain(a, t), drain(b, t), drain(a, t), drain(b, t)]);

    assert.equal(
      claimed.reduce((sum, n) => sum + n, 0),
      30,
      `claims per drain: ${claimed.join(', ')}; no message may be claimed twice`,
    );
    const ids = smtp.messages.map((m) => m.parsed.headers.get('x-resetdesk-message-id') as string);
    assert.equal(ids.length, 30);
    assert.deepEqual([...new Set(ids)].sort(), queued.map((q) => q.id).sort());
    const rows = await t.dataSource.getRepository(OutboxMessage).find();
    assert.ok(
      rows.every((r) => r.status === 'sent'),
      'every row sent',
    );
    const [[{ sentEvents }]] = (await t.db.admin.query(
      `SELECT COUNT(*) AS sentEvents FROM \`${t.db.name}\`.audit_events WHERE action = 'email.sent'`,
    )) as unknown as [[{ sentEvents: number }]];
    assert.equal(Number(sentEvents), 30, 'one email.sent per message');
  });

  it('skip rows another dispatcher has locked instead of waiting for them', async () => {
    const account = await openAccountOf(t, MAPLE_GROVE);
    const locked: OutboxMessage[] = [];
    const free: OutboxMessage[] = [];
    for (let i = 0; i < 4; i++) locked.push(await enqueueAccountReady(t, account, `locked-${i}@example.com`));
    for (let i = 0; i < 3; i++) free.push(await enqueueAccountReady(t, account, `free-${i}@example.com`));

    // Another dispatcher, mid-claim: its transaction holds these rows.
    const other = await mysql.createConnection({ uri: t.db.url });
    try {
      await other.beginTransaction();
      await other.query('SELECT id FROM outbox_messages WHERE id IN (?) FOR UPDATE', [locked.map((m) => m.id)]);

      const started = Date.now();
      assert.equal(await t.app.get(OutboxDispatcher).runOnce(), 3);
      assert.ok(Date.now() - started < 5_000, 'did not wait for the locks');
      const repo = t.dataSource.getRepository(OutboxMessage);
      for (const m of free) assert.equal((await repo.findOneByOrFail({ id: m.id })).status, 'sent');
      for (const m of locked) assert.equal((await repo.findOneByOrFail({ id: m.id })).status, 'queued');
    } finally {
      await other.rollback();
      await other.end();
    }
    assert.equal(await second.get(OutboxDispatcher).runOnce(), 4, 'released rows are claimed by the next round');
  });
});
