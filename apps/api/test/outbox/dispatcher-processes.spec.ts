import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { SmtpCapture } from '../support/smtp-capture';
import { startTestApp, TestApp } from '../support/test-app';
import { TEST_APP_SECRET, mysqlSkip } from '../support/test-env';
import { MAPLE_GROVE, enqueueAccountReady, openAccountOf, outboxRow } from './outbox-fixtures';

describe('the dispatcher inside the API (RUN_DISPATCHER on)', { skip: mysqlSkip }, () => {
  let t: TestApp;
  const smtp = new SmtpCapture();

  before(async () => {
    await smtp.start();
    t = await startTestApp({ seedPatients: 2, label: 'outboxloop', env: { SMTP_URL: smtp.url, RUN_DISPATCHER: 'true' } });
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
  });

  it('delivers what is committed without anyone calling runOnce', async () => {
    const dispatcher = t.app.get(OutboxDispatcher);
    assert.equal(dispatcher.running, true);
    const message = await enqueueAccountReady(t, await openAccountOf(t, MAPLE_GROVE), 'loop@example.com');
    await smtp.waitFor((m) => m.parsed.headers.get('x-resetdesk-message-id') === message.id, 10_000);
    for (let i = 0; i < 50 && (await outboxRow(t, message.id)).status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await outboxRow(t, message.id)).status, 'sent');
  });

  it('stops with the application', async () => {
    const dispatcher = t.app.get(OutboxDispatcher);
    const started = Date.now();
    await dispatcher.stop();
    assert.equal(dispatcher.running, false);
    assert.ok(Date.now() - started < 3_000, 'stopping does not wait for a poll interval');
  });
});

describe('npm run worker', { skip: mysqlSkip }, () => {
  let t: TestApp;
  const smtp = new SmtpCapture();

  before(async () => {
    await smtp.start();
    // The API itself does not dispatch here: only the worker process can deliver.
    t = await startTestApp({ seedPatients: 2, label: 'outboxworker', env: { SMTP_URL: smtp.url } });
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
  });

  it('delivers from its own process and exits cleanly on SIGTERM', async () => {
    const worker = spawn(process.execPath, [join(__dirname, '../../src/worker.js')], {
      cwd: join(__dirname, '../../..'),
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'test',
        DATABASE_URL: t.db.url,
        APP_SECRET: TEST_APP_SECRET,
        DATA_DIR: t.dataDir,
        SMTP_URL: smtp.url,
        SEED_DEMO: 'false',
        LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (c: Buffer) => (output += c.toString()));
    worker.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', (code) => resolve(code)));
    try {
      const message = await enqueueAccountReady(t, await openAccountOf(t, MAPLE_GROVE), 'worker@example.com');
      await smtp
        .waitFor((m) => m.parsed.headers.get('x-resetdesk-message-id') === message.id, 20_000)
        .catch((error) => {
          throw new Error(`${error.message}; worker output: ${output}`);
        });
      for (let i = 0; i < 50 && (await outboxRow(t, message.id)).status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await outboxRow(t, message.id)).status, 'sent');
    } finally {
      worker.kill('SIGTERM');
    }
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))]);
    assert.equal(code, 0, output);
  });
});
