import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { DEMO_SECURITY_ANSWER } from '../../src/seed/demo-seed';
import { PageProblems, assertAccessible, assertNoPageProblems, launchChromium, openSession } from '../support/browser';
import { SmtpCapture } from '../support/smtp-capture';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';
import { GOOD_PASSWORD } from '../registration/registration-fixtures';
import { INVALID_RESET_TOKEN, LOCKED_ACCOUNT, PortalPatient, RESET_REQUESTED, portalPatients } from './recovery-fixtures';

/**
 * Self-service recovery in real Chromium on a phone-sized screen, with the app's own CSP and no
 * JavaScript of ours: forgot password → the email over SMTP → security question → new password →
 * signing in with it, and every page checked with axe-core on the way.
 */
describe('patient sign-in and recovery pages in a browser', { skip: browserSkip }, () => {
  const smtp = new SmtpCapture();
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;
  let people: PortalPatient[];
  const checked: string[] = [];

  before(async () => {
    await smtp.start();
    t = await startTestApp({ seedPatients: 12, label: 'recovbrowser', env: { SMTP_URL: smtp.url, RUN_DISPATCHER: 'true' } });
    people = await portalPatients(t);
    browser = await launchChromium();
    ({ page, problems } = await openSession(browser, { viewport: { width: 390, height: 844 } }));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await smtp.stop();
  });

  /** No serious or critical axe findings, one h1, no sideways scrolling on a phone. */
  async function audit(name: string): Promise<void> {
    await assertAccessible(page, name);
    assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name}: scrolls sideways on a phone by ${overflow}px`);
    checked.push(name);
  }

  it('forgot password → email → security question → new password → sign in', async () => {
    const { patient, account, dob } = people[0]!;

    await page.goto(`${t.url}/login`);
    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    await audit('/login');
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill('Not-my-password-anymore-7');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Invalid username or password').waitFor();
    await audit('/login with an error');

    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?', level: 1 }).waitFor();
    await audit('/forgot-password');
    await page.getByLabel('Username').fill(account.username);
    await page.getByRole('button', { name: 'Reset Password' }).click();
    await page.getByText(RESET_REQUESTED).waitFor();
    await audit('/forgot-password sent');

    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email!) && m.parsed.subject === 'Reset your password');
    const link = /https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/.exec(mail.parsed.text!)![0];
    const path = new URL(link).pathname;

    await page.goto(`${t.url}${path}`);
    await page.getByRole('heading', { name: 'Reset your password', level: 1 }).waitFor();
    await audit('/reset-password/:token');
    await page.getByRole('link', { name: 'Answer my security question' }).click();
    await page.getByRole('heading', { name: 'Answer your security question', level: 1 }).waitFor();
    await audit('security question');
    await page.getByLabel('Date of birth (YYYYMMDD)').fill(dob);
    await page.getByLabel('Security answer').fill('wrong answer');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').getByText('Your answer does not match our records.').waitFor();
    await audit('security question with an error');
    await page.getByLabel('Date of birth (YYYYMMDD)').fill(dob);
    await page.getByLabel('Security answer').fill(` ${DEMO_SECURITY_ANSWER.toUpperCase()} `);
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Choose a new password', level: 1 }).waitFor();
    await audit('new password');
    await page.getByLabel('New password', { exact: true }).fill(GOOD_PASSWORD);
    await page.getByLabel('Confirm new password').fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Save password' }).click();

    await page.getByText('Your password has been changed. Sign in with your new password.').waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`You are signed in as ${account.username}`).waitFor();
    await audit('signed in');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'rd_portal')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You have signed out.').waitFor();

    await page.goto(`${t.url}${path}`);
    await page.getByRole('heading', { name: INVALID_RESET_TOKEN, level: 1 }).waitFor();
    await audit('invalid reset link');
    assertNoPageProblems(problems);
  });

  it('the security-code path, forgot username, and the locked page', async () => {
    const { patient, account } = people[1]!;
    await page.goto(`${t.url}/forgot-password`);
    await page.getByLabel('Username').fill(account.username);
    await page.getByRole('button', { name: 'Reset Password' }).click();
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email!) && m.parsed.subject === 'Reset your password');
    const path = new URL(/https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/.exec(mail.parsed.text!)![0]).pathname;

    await page.goto(`${t.url}${path}`);
    await page.getByRole('link', { name: 'Send me a security code' }).click();
    await page.getByRole('heading', { name: 'Get a security code', level: 1 }).waitFor();
    await audit('security code: phone');
    await page.getByLabel('Phone number').fill('503-555-0000');
    await page.getByLabel('Voice').check();
    await page.getByRole('button', { name: 'Send security code' }).click();
    await page.getByRole('alert').getByText('Phone number does not match records').waitFor();
    await audit('security code: phone with an error');
    await page.getByLabel('Phone number').fill(patient.phone!);
    await page.getByRole('button', { name: 'Send security code' }).click();
    await page.getByLabel('Security code').waitFor();
    await audit('security code: code');
    for (let i = 0; i < 4; i++) {
      await page.getByLabel('Security code').fill(String(100_000 + i));
      await page.getByRole('button', { name: 'Check' }).click();
      await page.getByRole('heading', { level: 1 }).waitFor();
    }
    await page.getByText(LOCKED_ACCOUNT).first().waitFor();
    await audit('account locked');

    await page.goto(`${t.url}/forgot-username`);
    await page.getByRole('heading', { name: 'Forgot your username?', level: 1 }).waitFor();
    await audit('/forgot-username');
    await page.getByLabel('Email address').fill('not-an-email');
    await page.getByLabel('Date of birth (YYYYMMDD)').fill('1980');
    await page.getByRole('button', { name: 'Email my username' }).click();
    await page.getByRole('alert').waitFor();
    await audit('/forgot-username with errors');

    assert.deepEqual(checked.filter((n) => ['/login', '/forgot-password', '/reset-password/:token', '/forgot-username'].includes(n)).sort(), [
      '/forgot-password',
      '/forgot-username',
      '/login',
      '/reset-password/:token',
    ]);
    assertNoPageProblems(problems);
  });
});
