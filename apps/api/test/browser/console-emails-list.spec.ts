import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { BrowserSession, launchChromium, openSession, signInThroughConsole } from '../support/browser';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { MAPLE_ADMIN } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';

describe('console Emails list on a 1366 px screen', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;
  const sessions: BrowserSession[] = [];

  before(async () => {
    t = await startTestApp({ seedPatients: 5, label: 'bremails' });
    browser = await launchChromium();
    const now = new Date();
    // The widest realistic row: a long address, a long subject and a long provider error.
    await t.dataSource.query(
      `INSERT INTO outbox_messages (id, practiceId, patientId, channel, template, toAddress, status, attempts, maxAttempts,
         nextAttemptAt, lastError, subject, createdAt, updatedAt) VALUES (?, ?, NULL, 'email', 'registration-link', ?, 'dead', 8, 8, ?, ?, ?, ?, ?)`,
      [
        randomUUID(),
        MAPLE_GROVE_ID,
        'a.very.long.mailbox.name.for.a.patient@an-extremely-long-example-domain-name.example.org',
        now,
        'SMTP 550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the address.',
        'Finish setting up your patient portal account at Maple Grove Family Medicine and the clinic network',
        now,
        now,
      ],
    );
  });
  after(async () => {
    for (const s of sessions) await s.context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  it('shows status second and fits the table without horizontal scroll at 1366x768', async () => {
    const viewport = { width: 1366, height: 768 };
    const admin = await openSession(browser, { viewport });
    sessions.push(admin);
    const { page } = admin;
    await signInThroughConsole(page, t.url, MAPLE_ADMIN);
    await page.goto(`${t.url}/#/emails`);
    await page.getByRole('row').nth(1).waitFor();
    const headers = (await page.getByRole('columnheader').allInnerTexts()).map((h) => h.trim()).filter(Boolean);
    assert.deepEqual(headers.slice(0, 2), ['Created', 'Status'], headers.join(', '));
    const overflow = (await page.evaluate(
      `(() => { const box = document.querySelector('.RaList-content'); return box.scrollWidth - box.clientWidth; })()`,
    )) as number;
    assert.ok(overflow <= 0, `the table is ${overflow}px wider than its box at 1366 px`);
    const status = await page.getByRole('columnheader', { name: 'Status' }).boundingBox();
    assert.ok(status && status.x + status.width <= viewport.width, 'the status column is on screen');
  });
});
