import { after, before, describe, it, TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  BrowserSession,
  assertAccessible,
  assertNoSidewaysScroll,
  assertNoPageProblems,
  launchChromium,
  openSession,
  saveScreenshot,
  signInThroughConsole,
} from '../support/browser';
import { MAPLE_GROVE_ID, patientIdsWith } from '../support/fixtures';
import { MAPLE_DESK } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';

/**
 * axe-core over the screens the front desk works in, each in the state staff see it (filled in,
 * with errors, open dialogs), under the app's real Content-Security-Policy. A serious or critical
 * violation fails the test and names the rule and the elements.
 */
describe('console accessibility (axe-core): sign-in, patient list, patient show and the reset dialog', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;
  let desk: BrowserSession;
  /**
   * Each test starts from a fresh browser profile, signed in where it needs to be: none relies
   * on the page another test left behind, so one slow or failed test cannot fail the next.
   */
  const freshSession = async (signedIn: boolean) => {
    await desk?.context.close().catch(() => undefined);
    desk = await openSession(browser);
    if (signedIn) await signInThroughConsole(desk.page, t.url, MAPLE_DESK);
    return desk;
  };
  /** Fails on serious or critical findings (minor and moderate ones are reported) and on a page wider than the screen. */
  const check = async (test: TestContext, screen: string) => {
    for (const f of await assertAccessible(desk.page, screen)) test.diagnostic(`axe, not blocking, on ${screen}: ${f.impact} ${f.id}: ${f.help}`);
    await assertNoSidewaysScroll(desk.page, screen);
  };

  before(async () => {
    t = await startTestApp({ seedPatients: 30, label: 'bra11y' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('the sign-in page, empty and after a wrong password', async (test) => {
    const { page } = await freshSession(false);
    await page.goto(`${t.url}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await check(test, 'sign-in');

    await page.getByLabel('Email').fill(MAPLE_DESK);
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /password/i })
      .waitFor();
    await check(test, 'sign-in with an error');
    await saveScreenshot(page, 'sign-in-error');
  });

  it('the patient list, as opened and filtered by portal status', async (test) => {
    const { page } = await freshSession(true);
    await page.getByRole('menuitem', { name: 'Patients' }).click();
    await page.getByRole('row').nth(1).waitFor();
    await page.getByRole('heading', { level: 1, name: 'Patients' }).waitFor({ state: 'attached' });
    await check(test, 'patient list');
    await saveScreenshot(page, 'patient-list');

    await page.getByRole('combobox', { name: 'Portal status' }).click();
    await page.getByRole('option', { name: 'Locked', exact: true }).click();
    await page.getByRole('listbox').waitFor({ state: 'hidden' });
    await page.getByRole('row').filter({ hasText: 'Locked' }).first().waitFor();
    await check(test, 'patient list filtered by portal status');
  });

  it('the patient page: demographics, chart and portal tabs', async (test) => {
    const { page } = await freshSession(true);
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    await page.goto(`${t.url}/#/patients/${patientId}/show`);
    await page.getByRole('button', { name: 'Reset portal account' }).waitFor();
    await page.getByRole('heading', { level: 1 }).waitFor();
    await check(test, 'patient show, demographics');

    await page.getByRole('tab', { name: 'Chart' }).click();
    await page.getByRole('heading', { level: 2, name: 'Allergies' }).waitFor();
    await check(test, 'patient show, chart');
    await saveScreenshot(page, 'patient-chart');

    await page.getByRole('tab', { name: 'Portal' }).click();
    await page.getByRole('heading', { level: 2, name: 'History' }).waitFor();
    await page.getByRole('listitem').first().waitFor();
    await check(test, 'patient show, portal');
    await saveScreenshot(page, 'patient-portal');
  });

  it('the reset dialog: empty, refused for missing answers, and showing the PIN', async (test) => {
    const { page } = await freshSession(true);
    const [, patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    await page.goto(`${t.url}/#/patients/${patientId}/show`);
    await page.getByRole('button', { name: 'Reset portal account' }).click();
    const dialog = page.getByRole('dialog');
    // The state the test needs: every field of the dialog rendered (a busy machine renders late).
    for (const name of ['Reason', 'Identity verified by']) await dialog.getByRole('combobox', { name }).waitFor();
    await dialog.getByRole('textbox', { name: 'Note' }).waitFor();
    await check(test, 'reset dialog');

    await dialog.getByRole('button', { name: 'Reset account' }).click();
    await dialog.getByText('Choose the reason for the reset.').waitFor();
    await check(test, 'reset dialog with errors');
    await saveScreenshot(page, 'reset-dialog-errors');

    await dialog.getByRole('combobox', { name: 'Reason' }).click();
    await page.getByRole('option', { name: 'Other (explain in the note)' }).click();
    await page.getByRole('listbox').waitFor({ state: 'hidden' });
    await dialog.getByRole('combobox', { name: 'Identity verified by' }).click();
    await page.getByRole('option', { name: 'Called back on the phone number in the chart' }).click();
    await page.getByRole('listbox').waitFor({ state: 'hidden' });
    await dialog.getByRole('textbox', { name: 'Note' }).fill('Patient asked on the phone after a callback');
    await dialog.getByRole('button', { name: 'Reset account' }).click();
    await page
      .getByRole('dialog', { name: 'Portal account reset' })
      .getByText(/^\d{6}$/)
      .waitFor();
    await check(test, 'reset result with the PIN');
    assertNoPageProblems(desk.problems);
  });
});
