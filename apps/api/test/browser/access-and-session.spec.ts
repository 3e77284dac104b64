import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';
import { BrowserSession, assertAccessible, assertNoPageProblems, launchChromium, openSession, saveScreenshot, signInThroughConsole } from '../support/browser';
import { MAPLE_GROVE_ID, patientIdsWith } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';

const ADMIN_MENUS = ['Audit log', 'Emails', 'Staff', 'Practice settings', 'Portal apps'];
const ACCESS_DENIED = 'Access denied: this page is for practice admins only';
const SESSION_EXPIRED = 'Your session has expired. Please sign in again.';
const NO_EMAIL = 'The chart has no email address. Add one in the chart before resetting.';

/** The staff_sessions row behind this browser profile's rd_session cookie. */
async function sessionTokenHash(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === 'rd_session');
  assert.ok(cookie, 'the browser holds a session cookie');
  return createHash('sha256').update(decodeURIComponent(cookie.value)).digest('hex');
}

/** Paths of API requests the page makes from now on. */
function recordApiRequests(page: Page): string[] {
  const paths: string[] = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) paths.push(url.pathname);
  });
  return paths;
}

/**
 * What a front-desk user can and cannot reach in the console, how an idle session ends and how
 * signing out ends one, and how the console explains a reset it cannot do.
 */
describe('console access, session expiry, sign-out and a chart without email, in a browser', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;

  before(async () => {
    t = await startTestApp({ seedPatients: 40, label: 'braccess' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('a desk user has no Audit log, Emails, Staff or Practice settings menu, and those URLs show an access message without asking the API', async () => {
    const desk = await openSession(browser);
    const { page } = desk;
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.getByRole('menuitem', { name: 'Patients' }).waitFor();
    for (const name of ADMIN_MENUS) {
      assert.equal(await page.getByRole('menuitem', { name }).count(), 0, `a desk user sees no ${name} menu`);
    }

    const requests = recordApiRequests(page);
    const [someEvent] = await t.dataSource.query('SELECT id FROM audit_events WHERE practiceId = ? LIMIT 1', [MAPLE_GROVE_ID]);
    for (const path of ['audit-events', `audit-events/${someEvent.id}/show`, 'emails', 'staff', 'staff/create', 'practice-settings']) {
      await page.goto(`${t.url}/#/${path}`);
      await page.getByRole('heading', { name: ACCESS_DENIED }).waitFor();
      await page
        .getByRole('button', { name: 'Go to Patients' })
        .or(page.getByRole('link', { name: 'Go to Patients' }))
        .waitFor();
      if (path === 'audit-events') await saveScreenshot(page, 'desk-access-denied');
    }
    const refused = requests.filter((p) => /^\/api\/(audit-events|emails|staff|practice)/.test(p));
    assert.deepEqual(refused, [], 'the console asks the API for nothing a desk user may not see');

    // The way back works, and the desk's own screens are untouched.
    await page.getByRole('link', { name: 'Go to Patients' }).click();
    await page.getByRole('row').nth(1).waitFor();
    assertNoPageProblems(desk.problems);
    await desk.context.close();

    // The same menus are there for an admin: they are hidden by role, not missing.
    const admin = await openSession(browser);
    await signInThroughConsole(admin.page, t.url, MAPLE_ADMIN);
    for (const name of ADMIN_MENUS) await admin.page.getByRole('menuitem', { name }).waitFor();
    await admin.context.close();
  });

  it('an admin switches security questions on or off on the Practice settings page; the change is saved and audited', async (test) => {
    const admin = await openSession(browser);
    const { page } = admin;
    await signInThroughConsole(page, t.url, MAPLE_ADMIN);
    await page.getByRole('menuitem', { name: 'Practice settings' }).click();
    await page.getByRole('heading', { name: 'Maple Grove Family Medicine' }).waitFor();
    const toggle = page.getByRole('switch', { name: 'Allow security questions' }).or(page.getByRole('checkbox', { name: 'Allow security questions' }));
    const save = page.getByRole('button', { name: 'Save' });
    const [before] = await t.dataSource.query('SELECT allowSecurityQuestions FROM practices WHERE id = ?', [MAPLE_GROVE_ID]);
    assert.equal(await toggle.isChecked(), Boolean(before.allowSecurityQuestions), 'the page shows the stored setting');
    assert.equal(await save.isDisabled(), true, 'nothing to save before a change');
    for (const f of await assertAccessible(page, 'practice settings')) test.diagnostic(`axe, not blocking: ${f.impact} ${f.id}: ${f.help}`);

    await toggle.click();
    await save.click();
    await page.getByText('Practice settings saved').waitFor();
    const [after] = await t.dataSource.query('SELECT allowSecurityQuestions FROM practices WHERE id = ?', [MAPLE_GROVE_ID]);
    assert.equal(Boolean(after.allowSecurityQuestions), !before.allowSecurityQuestions);
    const [event] = await t.dataSource.query(
      `SELECT actorId, details FROM audit_events WHERE practiceId = ? AND action = 'practice.settings_updated' ORDER BY seq DESC LIMIT 1`,
      [MAPLE_GROVE_ID],
    );
    assert.deepEqual(JSON.parse(event.details).changes.allowSecurityQuestions, {
      from: Boolean(before.allowSecurityQuestions),
      to: !before.allowSecurityQuestions,
    });
    assert.equal(await save.isDisabled(), true, 'saved: nothing left to save');
    await saveScreenshot(page, 'practice-settings');
    assertNoPageProblems(admin.problems);
    await admin.context.close();
  });

  it('a chart without an email address: reset and resend are disabled and the page says why', async () => {
    const desk = await openSession(browser);
    const { page } = desk;
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'no-email');
    assert.ok(patientId, 'the seed has a chart without email');
    const [patient] = await t.dataSource.query('SELECT firstName, lastName FROM patients WHERE id = ?', [patientId]);
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.goto(`${t.url}/#/patients/${patientId}/show`);
    await page.getByRole('heading', { level: 1, name: `${patient.firstName} ${patient.lastName}` }).waitFor();

    const reset = page.getByRole('button', { name: 'Reset portal account' });
    assert.equal(await reset.isDisabled(), true, 'Reset portal account is disabled');
    assert.equal(await page.getByRole('button', { name: 'Resend registration email' }).isDisabled(), true);
    await page.getByText(NO_EMAIL).waitFor();
    // The explanation is tied to the button, so a screen reader announces it with the button.
    const describedBy = await reset.getAttribute('aria-describedby');
    assert.ok(describedBy, 'the disabled button points at its explanation');
    assert.match(await page.locator(`[id="${describedBy}"]`).innerText(), new RegExp(NO_EMAIL.replace(/\./g, '\\.')));
    await page.getByText('No email address on the chart').waitFor();
    await saveScreenshot(page, 'patient-without-email');

    const [{ invitations }] = await t.dataSource.query('SELECT COUNT(*) AS invitations FROM registration_invitations WHERE patientId = ?', [patientId]);
    assert.equal(Number(invitations), 0, 'nothing was issued');
    assertNoPageProblems(desk.problems);
    await desk.context.close();
  });

  it('after 16 idle minutes the next click lands on sign-in with "Your session has expired", and so does a reload', async () => {
    const desk: BrowserSession = await openSession(browser);
    const { page, context } = desk;
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.getByRole('menuitem', { name: 'Patients' }).click();
    const firstPatient = page.getByRole('row').nth(1).getByRole('link');
    await firstPatient.waitFor();

    const idle = async () =>
      t.dataSource.query('UPDATE staff_sessions SET lastSeenAt = NOW(3) - INTERVAL 16 MINUTE WHERE tokenHash = ?', [await sessionTokenHash(context)]);
    await idle();
    await firstPatient.click();
    await page.getByText(SESSION_EXPIRED).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.match(page.url(), /#\/login/);
    await saveScreenshot(page, 'session-expired');

    // Signing in again works; then the idle limit passes with the tab left open and the desk reloads.
    await page.getByLabel('Email').fill(MAPLE_DESK);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('menuitem', { name: 'Patients' }).waitFor();
    await idle();
    await page.reload();
    await page.getByText(SESSION_EXPIRED).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assertNoPageProblems(desk.problems);
    await context.close();
  });

  it('a session that expires while the reset dialog is open: confirming lands on sign-in, and nothing is reset', async () => {
    const desk = await openSession(browser);
    const { page, context } = desk;
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.goto(`${t.url}/#/patients/${patientId}/show`);
    await page.getByRole('button', { name: 'Reset portal account' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('combobox', { name: 'Reason' }).click();
    await page.getByRole('option', { name: 'Account is locked' }).click();
    await dialog.getByRole('combobox', { name: 'Identity verified by' }).click();
    await page.getByRole('option', { name: 'In person, with photo ID' }).click();

    // The desk walked away with the dialog open; the patient comes back after the idle limit.
    await t.dataSource.query('UPDATE staff_sessions SET lastSeenAt = NOW(3) - INTERVAL 16 MINUTE WHERE tokenHash = ?', [await sessionTokenHash(context)]);
    await dialog.getByRole('button', { name: 'Reset account' }).click();
    await page.getByText(SESSION_EXPIRED).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();

    const [{ resets }] = await t.dataSource.query(`SELECT COUNT(*) AS resets FROM audit_events WHERE action = 'portal.reset' AND patientId = ?`, [patientId]);
    assert.equal(Number(resets), 0, 'the refused request reset nothing');
    assertNoPageProblems(desk.problems);
    await context.close();
  });

  it('signing out ends the session on the server and leaves the console on the sign-in page', async () => {
    const desk = await openSession(browser);
    const { page, context } = desk;
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    const tokenHash = await sessionTokenHash(context);
    const cookieHeader = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');

    await page.getByRole('button', { name: 'Devon Clarke, account menu' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.getByText(SESSION_EXPIRED).count(), 0, 'signing out is not reported as an expiry');
    await saveScreenshot(page, 'signed-out');

    const [session] = await t.dataSource.query('SELECT revokedAt FROM staff_sessions WHERE tokenHash = ?', [tokenHash]);
    assert.ok(session.revokedAt, 'the session is revoked on the server');
    const me = await fetch(`${t.url}/api/auth/me`, { headers: { cookie: cookieHeader } });
    assert.equal(me.status, 401, 'the old cookie no longer works');

    // A bookmarked console URL now asks for sign-in instead of showing patients.
    await page.goto(`${t.url}/#/patients`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    assert.equal(await page.getByRole('row').count(), 0);
    assertNoPageProblems(desk.problems);
    await context.close();
  });
});
