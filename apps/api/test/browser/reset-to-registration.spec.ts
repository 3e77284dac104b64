import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { AppSecrets } from '../../src/common/app-secrets';
import { BrowserSession, assertNoPageProblems, launchChromium, openSession, parseCsv, saveScreenshot, signInThroughConsole } from '../support/browser';
import { MAPLE_GROVE_ID, patientIdsWith } from '../support/fixtures';
import { SmtpCapture } from '../support/smtp-capture';
import { MAPLE_ADMIN, MAPLE_DESK } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';

/** Strong enough for the password policy and unrelated to any seeded patient. */
const NEW_PASSWORD = 'Lantern-quiver-orbit-marsh-93';

interface PatientRow {
  id: string;
  mrn: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  email: string;
}

/**
 * Issue #4's main story, end to end in real Chromium against the real API on MariaDB, the real
 * outbox dispatcher and a real SMTP server: the desk resets a locked-out patient's portal
 * account, the patient registers again from the email, and an admin finds the reset in the
 * audit log. Each step builds on the one before, in order.
 */
describe('desk reset → patient registration → admin audit trail, in a browser', { skip: browserSkip }, () => {
  const smtp = new SmtpCapture();
  let t: TestApp;
  let browser: Browser;
  let desk: BrowserSession;
  let patient: PatientRow;
  let oldUsername: string;
  let pin: string;
  let newUsername: string;
  let registrationToken: string;
  let admin: BrowserSession;

  before(async () => {
    await smtp.start();
    t = await startTestApp({ seedPatients: 40, label: 'brflow', env: { SMTP_URL: smtp.url, RUN_DISPATCHER: 'true' } });
    browser = await launchChromium();
    desk = await openSession(browser);
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    [patient] = await t.dataSource.query('SELECT id, mrn, firstName, lastName, dateOfBirth, email FROM patients WHERE id = ?', [patientId]);
    [{ username: oldUsername }] = await t.dataSource.query('SELECT username FROM portal_accounts WHERE patientId = ? AND openMarker = 1', [patient.id]);
    newUsername = `${patient.firstName.toLowerCase()}.portal${patient.mrn.replace(/\D/g, '')}`;
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await smtp.stop();
  });

  /** The patient's row in the console's patient list, found by typing their last name in Search. */
  async function searchForPatient(page: Page) {
    await page.getByRole('menuitem', { name: 'Patients' }).click();
    await page.getByLabel('Search').fill(patient.lastName);
    // The search is debounced: wait until every row shown is a match, not the unfiltered first page.
    await page.waitForFunction((lastName) => {
      const rows = [...(globalThis as any).document.querySelectorAll('tbody tr')] as { innerText: string }[];
      return rows.length > 0 && rows.every((row) => row.innerText.includes(lastName));
    }, patient.lastName);
    const row = page.getByRole('row').filter({ hasText: patient.mrn });
    await row.waitFor();
    return row;
  }

  it('a desk user searches, resets the active account with a reason, and is shown the PIN and the email status', async () => {
    const { page } = desk;
    await page.goto(`${t.url}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await saveScreenshot(page, 'sign-in');
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.getByText('Today at the desk').waitFor();
    await saveScreenshot(page, 'dashboard');

    const row = await searchForPatient(page);
    assert.match(await row.innerText(), new RegExp(`Active[\\s\\S]*${oldUsername}`));
    await saveScreenshot(page, 'patient-list-search');
    await row.getByRole('link', { name: `${patient.lastName}, ${patient.firstName}` }).click();

    await page.getByRole('heading', { level: 1, name: `${patient.firstName} ${patient.lastName}` }).waitFor();
    await saveScreenshot(page, 'patient-show');
    await page.getByRole('button', { name: 'Reset portal account' }).click();

    const dialog = page.getByRole('dialog', { name: `Reset portal account for ${patient.firstName} ${patient.lastName}` });
    await dialog.waitFor();
    // The dialog says what will happen, with the username that is about to be retired.
    await dialog.getByText(`The old username ${oldUsername} is retired and cannot be used again.`).waitFor();
    await dialog.getByRole('combobox', { name: 'Reason' }).click();
    await page.getByRole('option', { name: 'Forgot username or password' }).click();
    await dialog.getByRole('combobox', { name: 'Identity verified by' }).click();
    await page.getByRole('option', { name: 'In person, with photo ID' }).click();
    await dialog.getByRole('textbox', { name: 'Note' }).fill('At the front desk, forgot the password');
    await saveScreenshot(page, 'reset-dialog');
    await dialog.getByRole('button', { name: 'Reset account' }).click();

    const done = page.getByRole('dialog', { name: 'Portal account reset' });
    await done.waitFor();
    await done.getByText(`The username ${oldUsername} is retired.`).waitFor();
    await done.getByText('The chart was checked and is unchanged.').waitFor();
    pin = (await done.getByText(/^\d{6}$/).innerText()).trim();
    await done.getByText('Tell the patient this PIN. It will not be shown again.').waitFor();

    const [invitation] = await t.dataSource.query(`SELECT id, pinHash, sentTo FROM registration_invitations WHERE patientId = ? AND status = 'pending'`, [
      patient.id,
    ]);
    assert.equal(invitation.pinHash, t.app.get(AppSecrets).pinHash(pin), 'the PIN on screen is the invitation’s');
    const maskedTo = `${patient.email[0]}***${patient.email.slice(patient.email.indexOf('@'))}`;
    await done.getByText(maskedTo).waitFor();

    // The email status starts as queued (or is already on its way) and turns to sent once the
    // dispatcher has handed the message to the SMTP server.
    const status = done.getByRole('status');
    await status.getByText(/^(Waiting to send|Sending|Sent)$/).waitFor();
    await status.getByText('Sent to the patient’s email address.').waitFor();
    assert.equal(await status.getByText(/^Sent$/).count(), 1, 'the status chip reads Sent');
    await saveScreenshot(page, 'reset-done-pin');

    const [closed] = await t.dataSource.query('SELECT status, closeReason FROM portal_accounts WHERE username = ?', [oldUsername]);
    assert.deepEqual({ ...closed }, { status: 'closed', closeReason: 'reset' });
    await done.getByRole('checkbox', { name: "I've given the patient the PIN" }).check();
    await done.getByRole('button', { name: 'Done' }).click();
    await done.waitFor({ state: 'hidden' });
    // The page refreshed behind the dialog: the patient is now invited, so a resend is possible.
    await page.getByRole('heading', { level: 1 }).locator('..').getByText('Invited', { exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Resend registration email' }).isEnabled(), true);
  });

  it('the registration email’s link, opened in the same browser, completes registration with date of birth, PIN and a new username', async () => {
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email) && /new patient portal account/i.test(m.parsed.subject ?? ''));
    const links = [...String(mail.parsed.html || mail.parsed.text).matchAll(/https?:\/\/[^\s"'<>]+\/register\/[A-Za-z0-9_-]+/g)].map((m) => m[0]);
    assert.ok(links.length > 0, 'the email carries a registration link');
    assert.ok(links[0]!.startsWith(`${t.config.publicUrl}/register/`), `link ${links[0]} is under PUBLIC_URL`);
    assert.ok(!String(mail.parsed.text).includes(pin) && !String(mail.parsed.html).includes(pin), 'the PIN is never in the email');

    // The test app listens on an ephemeral port, not PUBLIC_URL's: same path, this server.
    registrationToken = new URL(links[0]!).pathname.split('/').pop()!;
    const registration = await desk.context.newPage();
    await registration.goto(`${t.url}${new URL(links[0]!).pathname}`);
    await registration.getByRole('heading', { level: 1, name: "Verify it's you" }).waitFor();
    await saveScreenshot(registration, 'register-verify');
    await registration.getByLabel('Date of birth (YYYYMMDD)').fill(patient.dateOfBirth.replace(/-/g, ''));
    await registration.getByLabel('PIN', { exact: true }).fill(pin);
    await registration.getByRole('button', { name: 'Continue' }).click();

    await registration.getByRole('heading', { level: 1, name: 'Create your account' }).waitFor();
    await registration.getByLabel('Username').fill(newUsername);
    await registration.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await registration.getByLabel('Confirm password').fill(NEW_PASSWORD);
    const question = registration.getByLabel('Security question');
    if (await question.count()) {
      await question.selectOption({ index: 1 });
      await registration.getByLabel('Security answer').fill('Blue heron');
    }
    await saveScreenshot(registration, 'register-account');
    await registration.getByRole('button', { name: 'Create account' }).click();

    await registration.getByRole('heading', { level: 1, name: 'Your account is ready' }).waitFor();
    await registration.getByText(newUsername).waitFor();
    await saveScreenshot(registration, 'register-done');
    await registration.close();

    const [account] = await t.dataSource.query(`SELECT username, status FROM portal_accounts WHERE patientId = ? AND openMarker = 1`, [patient.id]);
    assert.deepEqual({ ...account }, { username: newUsername, status: 'active' });
  });

  it('back in the console the patient is active under the new username and the history shows the reset', async () => {
    const { page } = desk;
    await page.bringToFront();
    const row = await searchForPatient(page);
    await row.getByText(newUsername).waitFor();
    assert.match(await row.innerText(), /Active/);
    await row.getByRole('link').click();

    await page.getByRole('heading', { level: 1, name: `${patient.firstName} ${patient.lastName}` }).waitFor();
    await page.getByRole('tab', { name: 'Portal' }).click();
    // The Portal tab's "Portal account" list: the new username, active.
    await page.locator('dt:text-is("Username") + dd').getByText(newUsername, { exact: true }).waitFor();
    assert.equal(await page.locator('dt:text-is("Status") + dd').first().innerText(), 'Active');
    const history = page.getByRole('list').filter({ hasText: 'Portal account reset' });
    await history.waitFor();
    const entries = await history.getByRole('listitem').allInnerTexts();
    const reset = entries.find((text) => text.includes('Portal account reset'));
    assert.ok(reset, `history entries: ${entries.join(' | ')}`);
    assert.match(reset, /By Devon Clarke/);
    assert.match(reset, /Reason: Forgot username or password/);
    assert.match(reset, new RegExp(`Retired username: ${oldUsername}`));
    assert.ok(
      entries.some((text) => text.includes('Patient created a portal account')),
      `history entries: ${entries.join(' | ')}`,
    );
    assert.ok(
      entries.some((text) => text.includes(`Portal account “${newUsername}” created`)),
      `history entries: ${entries.join(' | ')}`,
    );
    await saveScreenshot(page, 'patient-portal-history');
    assertNoPageProblems(desk.problems);
  });

  it('an admin filters the audit log to that reset, sees matching checksums, exports it as CSV and verifies the chain', async () => {
    const [event] = await t.dataSource.query(`SELECT id, details FROM audit_events WHERE action = 'portal.reset' AND patientId = ?`, [patient.id]);
    const { chartChecksumBefore, chartChecksumAfter } = JSON.parse(event.details);
    assert.equal(chartChecksumBefore, chartChecksumAfter);

    admin = await openSession(browser);
    const { page } = admin;
    await signInThroughConsole(page, t.url, MAPLE_ADMIN);
    await page.getByRole('menuitem', { name: 'Audit log' }).click();
    await page.getByRole('button', { name: 'Verify integrity' }).waitFor();
    await page.getByRole('combobox', { name: 'Action' }).click();
    await page.getByRole('option', { name: 'Portal account reset' }).click();
    await page.getByLabel('Patient name or MRN').fill(patient.mrn);

    const rows = page.getByRole('row').filter({ hasText: 'Portal account reset' });
    await rows.first().waitFor();
    // Exactly the one reset of this patient is left once both filters apply.
    await page.getByText('1-1 of 1').waitFor();
    assert.equal(await rows.count(), 1);
    const rowText = await rows.first().innerText();
    assert.match(rowText, /Devon Clarke/);
    assert.match(rowText, /Forgot username or password/);
    await saveScreenshot(page, 'audit-log-filtered');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    const csv = parseCsv(readFileSync(await download.path(), 'utf8'));
    const [header, ...records] = csv;
    assert.match(download.suggestedFilename(), /^audit-log-\d{4}-\d{2}-\d{2}\.csv$/);
    assert.equal(records.length, 1, `the export holds the filtered rows only: ${JSON.stringify(records)}`);
    const exported = Object.fromEntries(header!.map((name, i) => [name, records[0]![i]]));
    assert.equal(exported.id, event.id);
    assert.equal(exported.action, 'portal.reset');
    assert.equal(exported.patientId, patient.id);
    assert.equal(exported.retiredUsername, oldUsername);
    assert.equal(exported.chartChecksumBefore, chartChecksumBefore);
    assert.equal(exported.chartChecksumAfter, chartChecksumAfter);

    // The first cell (When): the Patient cell is a link to the patient's page.
    await rows.first().getByRole('cell').first().click();
    await page.getByRole('heading', { level: 2, name: 'Chart checksums' }).waitFor();
    await page.getByText(chartChecksumBefore).first().waitFor();
    const checksums = await page.getByText(chartChecksumBefore, { exact: true }).count();
    assert.equal(checksums, 2, 'before and after are shown, and equal');
    await page.getByText('Chart unchanged').waitFor();
    await page.getByText(`Retired username`).waitFor();
    await saveScreenshot(page, 'audit-event-show');

    // Nothing is still being sent, so no event is appended between the check and the count.
    await waitForOutboxIdle(t);
    await page.goBack();
    await page.getByRole('button', { name: 'Verify integrity' }).click();
    const verdict = page.getByRole('dialog', { name: 'Audit log integrity' });
    await verdict.waitFor();
    const [{ total }] = await t.dataSource.query('SELECT COUNT(*) AS total FROM audit_events WHERE practiceId = ?', [MAPLE_GROVE_ID]);
    await verdict.getByText(`Audit log verified: ${Number(total)} events, chain intact`).waitFor();
    await saveScreenshot(page, 'audit-verify');
    await verdict.getByRole('button', { name: 'Close' }).click();

    // Beside it, a signed checkpoint of the chain head to keep outside the server.
    const [saved] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download checkpoint' }).click()]);
    assert.match(saved.suggestedFilename(), /^audit-checkpoint-\d+-\d{4}-\d{2}-\d{2}\.json$/);
    const checkpoint = JSON.parse(readFileSync(await saved.path(), 'utf8'));
    assert.deepEqual(Object.keys(checkpoint).sort(), ['hash', 'practiceId', 'seq', 'signature', 'signedAt']);
    assert.equal(checkpoint.seq, Number(total));
    assertNoPageProblems(admin.problems);
  });

  it('the admin’s Emails screen lists the registration email as sent, and its preview carries no live link', async () => {
    const { page } = admin;
    await page.getByRole('menuitem', { name: 'Emails' }).click();
    const row = page.getByRole('row').filter({ hasText: patient.email }).filter({ hasText: 'Create your new patient portal account' });
    await row.waitFor();
    assert.match(await row.innerText(), /Sent/);
    await saveScreenshot(page, 'emails');
    await row.click();

    await page.getByRole('heading', { level: 2, name: 'Preview' }).waitFor();
    const preview = page.frameLocator('iframe[title="Email preview"]');
    await preview.locator('body').getByText(patient.firstName).first().waitFor();
    const frameHtml = await page.locator('iframe[title="Email preview"]').getAttribute('srcdoc');
    const pageHtml = await page.content();
    assert.ok(!pageHtml.includes(registrationToken) && !String(frameHtml).includes(registrationToken), 'the preview never shows the live link token');
    await saveScreenshot(page, 'email-show');
    assertNoPageProblems(admin.problems);
  });
});

/** Waits until the dispatcher has nothing queued or in flight (it appends email.sent events). */
async function waitForOutboxIdle(t: TestApp): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const [{ busy }] = await t.dataSource.query(`SELECT COUNT(*) AS busy FROM outbox_messages WHERE status IN ('queued', 'sending')`);
    if (Number(busy) === 0) return;
    if (Date.now() > deadline) throw new Error(`${busy} outbox messages still not sent`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
