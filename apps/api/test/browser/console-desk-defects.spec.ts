import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { BrowserSession, assertAccessible, assertNoPageProblems, launchChromium, openSession, signInThroughConsole } from '../support/browser';
import { MAPLE_GROVE_ID, patientIdsWith } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';
import { PatientBrowser } from '../registration/registration-fixtures';
import { portalPatients, signIn } from '../recovery/recovery-fixtures';

/**
 * What a new front-desk user and a clinic admin tripped over on the demo, each as the screen
 * should behave now. Every test opens its own browser profile, so none depends on another.
 */
describe('console at the desk: the PIN dialog, the audit log, words and times staff read', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;
  const sessions: BrowserSession[] = [];
  const session = async (options: Parameters<typeof openSession>[1] = {}) => {
    const s = await openSession(browser, options);
    s.page.on('pageerror', (e) => console.error('PAGEERROR', e.message));
    s.page.on('console', (m) => {
      if (m.type() === 'error') console.error('CONSOLE', m.text());
    });
    sessions.push(s);
    return s;
  };

  before(async () => {
    t = await startTestApp({ seedPatients: 30, label: 'brdesk' });
    browser = await launchChromium();
  });
  after(async () => {
    for (const s of sessions) await s.context.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
  });

  const patientRow = async (id: string) =>
    (await t.dataSource.query('SELECT id, mrn, firstName, lastName FROM patients WHERE id = ?', [id]))[0] as {
      id: string;
      mrn: string;
      firstName: string;
      lastName: string;
    };

  it('the PIN stays on screen until staff tick that the patient has it: Esc and a click outside do not close it; Copy and a printed handout without the link', async () => {
    const desk = await session({ permissions: ['clipboard-read', 'clipboard-write'] });
    const { page } = desk;
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.goto(`${t.url}/#/patients/${patientId}/show`);
    await page.getByRole('button', { name: 'Reset portal account' }).click();
    const form = page.getByRole('dialog');
    await form.getByRole('combobox', { name: 'Reason' }).click();
    await page.getByRole('option', { name: 'Forgot username or password' }).click();
    await form.getByRole('combobox', { name: 'Identity verified by' }).click();
    await page.getByRole('option', { name: 'In person, with photo ID' }).click();
    await form.getByRole('button', { name: 'Reset account' }).click();

    const done = page.getByRole('dialog', { name: 'Portal account reset' });
    const pin = (await done.getByTestId('issued-pin').innerText()).trim();
    assert.match(pin, /^\d{6}$/);

    await page.keyboard.press('Escape');
    await page.mouse.click(5, 5); // the backdrop, outside the dialog
    assert.equal(await done.isVisible(), true, 'Esc and a click outside leave the PIN on screen');
    const doneButton = done.getByRole('button', { name: 'Done' });
    assert.equal(await doneButton.isDisabled(), true, 'Done waits for the tick');

    await done.getByRole('button', { name: 'Copy PIN' }).click();
    await done.getByText('PIN copied.').waitFor();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), pin);

    // The printed page is the handout alone: practice, what to do, the PIN, the expiry; no link.
    await page.emulateMedia({ media: 'print' });
    const handout = page.getByTestId('pin-handout');
    await handout.waitFor({ state: 'visible' });
    const paper = await handout.innerText();
    assert.match(paper, /Maple Grove Family Medicine/);
    assert.match(paper, /date of birth and this PIN/);
    assert.match(paper.replace(/\s/g, ''), new RegExp(pin));
    assert.match(paper, /works until .*\d{4}.*(AM|PM) [A-Z]{2,5}/, 'the expiry, with its time zone');
    assert.doesNotMatch(paper, /https?:|\/register\//, 'never the link');
    assert.equal(await page.getByRole('heading', { name: 'Registration PIN' }).isVisible(), false, 'the screen is not printed');
    await page.emulateMedia({ media: 'screen' });
    assert.equal(await handout.isVisible(), false, 'the handout is for paper only');
    await assertAccessible(page, 'PIN dialog with Copy and Print');

    await done.getByRole('checkbox', { name: "I've given the patient the PIN" }).check();
    await doneButton.click();
    await done.waitFor({ state: 'hidden' });
    assertNoPageProblems(desk.problems);
  });

  it('the resend dialog titles the email by its real status: not "sent" while it waits or retries', async () => {
    const desk = await session();
    const { page } = desk;
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'invited');
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.goto(`${t.url}/#/patients/${patientId}/show`);
    await page.getByRole('button', { name: 'Resend registration email' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Send email' }).click();
    // No dispatcher runs in this app: the email waits in the outbox.
    const dialog = page.getByRole('dialog', { name: 'Sending the registration email' });
    await dialog.getByText('Waiting to send', { exact: true }).waitFor();
    assert.equal(await page.getByRole('dialog', { name: 'Registration email sent' }).count(), 0);

    await t.dataSource.query(
      `UPDATE outbox_messages SET status = 'retrying', attempts = 1 WHERE subjectType = 'registration_invitation' AND subjectId = (SELECT id FROM registration_invitations WHERE patientId = ? AND status = 'pending')`,
      [patientId],
    );
    const retrying = page.getByRole('dialog', { name: 'Registration email not sent yet' });
    await retrying.getByText('The first attempt failed. The system will try again automatically.').waitFor();
    await retrying.getByRole('checkbox', { name: "I've given the patient the PIN" }).check();
    await retrying.getByRole('button', { name: 'Done' }).click();
    await retrying.waitFor({ state: 'hidden' });
  });

  it('the audit log names the patient (name and MRN) in the list and the detail, and filters by name or MRN', async () => {
    const admin = await session();
    const { page } = admin;
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'locked');
    const patient = await patientRow(patientId!);
    await signInThroughConsole(page, t.url, MAPLE_ADMIN);
    // Opening the patient's chart writes a "Patient viewed" event about them.
    await page.goto(`${t.url}/#/patients/${patientId}/show`);
    await page.getByRole('tab', { name: 'Chart' }).click();
    await page.getByRole('heading', { level: 2, name: 'Allergies' }).waitFor();

    await page.goto(`${t.url}/#/audit-events`);
    await page.getByLabel('Patient name or MRN').fill(patient.mrn);
    const named = `${patient.firstName} ${patient.lastName} (MRN ${patient.mrn})`;
    const row = page.getByRole('row').filter({ hasText: named }).first();
    await row.waitFor();
    // Only this patient's events are left once the filter applies.
    await page.locator('tbody tr').filter({ hasNotText: named }).first().waitFor({ state: 'detached' });
    assert.equal(await page.getByText('Open patient').count(), 0);

    await page.getByLabel('Patient name or MRN').fill(`${patient.firstName} ${patient.lastName}`);
    await page.getByRole('row').filter({ hasText: named }).first().waitFor();

    await row.click();
    await page.getByRole('link', { name: named }).waitFor();
    await assertAccessible(page, 'audit event detail');
    assertNoPageProblems(admin.problems);
  });

  it('staff read words, not codes: failed sign-ins say "Someone using username … (IP)", reasons are labelled, columns sort "by MRN", Sign out', async () => {
    const [{ patient, account }] = await portalPatients(t);
    const portal = new PatientBrowser(t.server);
    await signIn(portal, account.username, 'not-the-password-at-all');

    const desk = await session();
    const { page } = desk;
    await signInThroughConsole(page, t.url, MAPLE_ADMIN);
    await page.goto(`${t.url}/#/patients/${patient.id}/show`);
    await page.getByRole('tab', { name: 'Portal' }).click();
    const failed = page.getByRole('listitem').filter({ hasText: 'Patient sign-in failed' }).first();
    await failed.waitFor();
    const text = await failed.innerText();
    assert.match(text, new RegExp(`Someone using username ${account.username.replace(/\./g, '\\.')} \\(`));
    assert.match(text, /Reason: Wrong password/);
    assert.doesNotMatch(text, /wrong_password|By the patient/);
    assert.match(await page.getByRole('main').innerText(), /(AM|PM) [A-Z]{2,5}/, 'times carry their zone');

    await page.getByRole('menuitem', { name: 'Patients' }).click();
    await page.getByRole('columnheader', { name: 'MRN' }).getByText('MRN').hover();
    await page.getByRole('tooltip', { name: /^Sort by MRN (ascending|descending)$/ }).waitFor();

    await page.getByRole('button', { name: /account menu/ }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).waitFor();
    assert.equal(await page.getByText('Logout').count(), 0);
  });

  it('a locked account cannot be sent a registration email and the page says why; a locked link shows as "Link locked" with its one action', async () => {
    const desk = await session();
    const { page } = desk;
    const [lockedId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'locked');
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.goto(`${t.url}/#/patients/${lockedId}/show`);
    const resend = page.getByRole('button', { name: 'Resend registration email' });
    await page.getByRole('button', { name: 'Unlock account' }).waitFor();
    assert.equal(await resend.isDisabled(), true);
    await page.getByText('The account is locked, so there is no registration email to resend.', { exact: false }).waitFor();

    const [, , , linkLockedId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'invited');
    await t.dataSource.query(
      "UPDATE registration_invitations SET status = 'locked', pendingMarker = NULL, failedAttempts = 5, lockedAt = ? WHERE patientId = ? AND pendingMarker = 1",
      [new Date(), linkLockedId],
    );
    const [row] = await t.dataSource.query('SELECT mrn FROM patients WHERE id = ?', [linkLockedId]);
    await page.goto(`${t.url}/#/patients?filter=${encodeURIComponent(JSON.stringify({ portalStatus: 'link_locked' }))}`);
    await page.getByRole('row').filter({ hasText: row.mrn }).getByText('Link locked', { exact: true }).waitFor();
    await page.goto(`${t.url}/#/patients/${linkLockedId}/show`);
    await page.getByText('The registration link was locked after five wrong tries.', { exact: false }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Resend registration email' }).isEnabled(), true);
  });

  it('the patient list fits a 1366 px screen and a tablet, with name, MRN and portal status first; phones in the national format', async () => {
    for (const viewport of [
      { width: 1366, height: 900 },
      { width: 800, height: 1100 },
    ]) {
      const desk = await session({ viewport });
      const { page } = desk;
      await signInThroughConsole(page, t.url, MAPLE_DESK);
      await page.goto(`${t.url}/#/patients`);
      await page.getByRole('row').nth(1).waitFor();
      const headers = (await page.getByRole('columnheader').allInnerTexts()).map((h) => h.trim()).filter(Boolean);
      assert.deepEqual(headers.slice(0, 3), ['Name', 'MRN', 'Portal status'], headers.join(', '));
      const overflow = (await page.evaluate(
        `(() => { const box = document.querySelector('.RaList-content'); return box.scrollWidth - box.clientWidth; })()`,
      )) as number;
      assert.ok(overflow <= 0, `the table is ${overflow}px wider than its box at ${viewport.width} px`);
      const status = page.getByRole('columnheader', { name: 'Portal status' });
      const box = await status.boundingBox();
      assert.ok(box && box.x + box.width <= viewport.width, 'portal status is on screen');
      if (viewport.width === 1366) {
        await page
          .getByText(/^\(\d{3}\) \d{3}-\d{4}$/)
          .first()
          .waitFor();
        assert.equal(await page.getByText(/^\+1\d{10}$/).count(), 0, 'no E.164 numbers shown');
      }
    }
  });

  it('a signed-out console asks GET /api/auth/me at most twice on load; patient pages have an icon', async () => {
    const visitor = await session();
    const { page } = visitor;
    const calls: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/api/auth/me') calls.push(request.url());
    });
    await page.goto(`${t.url}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill('someone@example.com');
    await page.getByLabel('Password').fill('wrong-password-here');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /password/i })
      .waitFor();
    assert.ok(calls.length <= 2, `GET /api/auth/me ${calls.length} times`);

    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(new URL(response.url()).pathname);
    });
    await page.goto(`${t.url}/login`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const icon = await page.request.get(`${t.url}/favicon.ico`);
    assert.equal(icon.status(), 200);
    assert.match(icon.headers()['content-type'] ?? '', /^image\//);
    assert.deepEqual(missing, []);
  });
});
