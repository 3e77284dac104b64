import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { generate } from 'otplib';
import { assertAccessible, assertNoPageProblems, launchChromium, openSession, signInThroughConsole } from '../support/browser';
import { MAPLE_ADMIN, RIVERSIDE_ADMIN, RIVERSIDE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';

/** The console's sign-in when the practice requires two-step sign-in, in Chromium. */
describe('two-step sign-in in the console', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;
  let recoveryCodes: string[] = [];

  before(async () => {
    t = await startTestApp({ seedPatients: 5, label: 'brtwostep' });
    browser = await launchChromium();
    const admin = await StaffClient.signIn(t.server, RIVERSIDE_ADMIN);
    assert.equal((await admin.put('/api/practice', { staffMfa: 'required' })).status, 200);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  const passwordStep = async (page: import('playwright-core').Page, email: string) => {
    await page.goto(`${t.url}/#/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  it('a password alone does not open the console: the person sets up an authenticator app first', async () => {
    const { page, context, problems } = await openSession(browser);
    await passwordStep(page, RIVERSIDE_DESK);
    await page.getByRole('heading', { name: 'Set up two-step sign-in' }).waitFor();
    assert.ok(!(await context.cookies()).some((c) => c.name === 'rd_session'), 'no session after the password');
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    await assertAccessible(page, 'two-step set-up');

    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    await page.getByLabel('Authentication code').fill(await generate({ secret }));
    await page.getByRole('button', { name: 'Confirm' }).click();
    const list = page.getByRole('list', { name: 'Recovery codes' });
    await list.waitFor();
    recoveryCodes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
    assert.equal(recoveryCodes.length, 10);
    await page.getByRole('button', { name: 'Download' }).waitFor();
    await page.getByRole('button', { name: 'Print' }).waitFor();
    await assertAccessible(page, 'recovery codes');
    await page.getByRole('button', { name: 'Continue to ResetDesk' }).click();
    await page.getByRole('menuitem', { name: 'Patients' }).waitFor();
    assertNoPageProblems(problems);
    await context.close();
  });

  it('the next sign-in asks for the authentication code, and a recovery code opens it once', async () => {
    const { page, context, problems } = await openSession(browser);
    await passwordStep(page, RIVERSIDE_DESK);
    const code = page.getByLabel('Authentication code');
    await code.waitFor();
    await assertAccessible(page, 'second step');
    await code.fill('000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    await page.getByRole('button', { name: 'Use a recovery code' }).click();
    await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('menuitem', { name: 'Patients' }).waitFor();
    assertNoPageProblems(problems);
    await context.close();
  });

  it('demo practices stay optional: their logins need the password alone, and admins see the setting', async () => {
    const { page, context, problems } = await openSession(browser);
    await signInThroughConsole(page, t.url, MAPLE_ADMIN);
    await page.getByRole('menuitem', { name: 'Practice settings' }).click();
    const setting = page.getByLabel('Two-step sign-in for staff');
    await setting.waitFor();
    assert.equal(await setting.inputValue(), 'optional');
    await assertAccessible(page, 'practice settings with two-step sign-in');
    assertNoPageProblems(problems);
    await context.close();
  });
});
