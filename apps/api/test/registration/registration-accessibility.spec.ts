import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { AppSecrets } from '../../src/common/app-secrets';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { Patient } from '../../src/patients/patient.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { startTestApp, TestApp } from '../support/test-app';
import { PageProblems, assertAccessible, assertNoPageProblems, launchChromium, openSession } from '../support/browser';
import { browserSkip } from '../support/test-env';
import { GOOD_PASSWORD, LOCKED_MESSAGE, issueInvitation, patientsOf, wrongDob, wrongPin } from './registration-fixtures';

/**
 * Every registration page, reached the way a patient reaches it (real forms, no JavaScript of
 * ours, the app's own CSP), on a phone-sized screen, checked with axe-core.
 */
describe('registration pages in a browser: usable on a phone and accessible', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let patients: Patient[];
  let next = 0;
  const nextPatient = () => patients[next++]!;
  let problems: PageProblems;
  const checked: string[] = [];

  before(async () => {
    t = await startTestApp({ seedPatients: 12, label: 'rega11y' });
    patients = await patientsOf(t);
    browser = await launchChromium();
    ({ context, page, problems } = await openSession(browser, { viewport: { width: 390, height: 844 } }));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  /**
   * axe-core over the page as it is (serious or critical findings fail in assertAccessible; these
   * pages are held to no findings at all), plus what "usable on a phone" means here.
   */
  async function audit(name: string): Promise<void> {
    const findings = await assertAccessible(page, name);
    assert.deepEqual(
      findings.map((f) => `${f.impact} ${f.id}: ${f.help} at ${f.targets.join(', ')}`),
      [],
      `${name}: accessibility findings`,
    );
    const ran = (await page.evaluate('window.axe.getRules().length')) as number;
    assert.ok(ran > 50, `${name}: axe is loaded (${ran} rules)`);
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    assert.ok(overflow <= 0, `${name}: scrolls sideways on a phone by ${overflow}px`);
    assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
    const stylesApplied = await page.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor");
    assert.equal(stylesApplied, 'rgb(11, 79, 108)', `${name}: the stylesheet loaded`);
    checked.push(name);
  }

  it('step 1, its errors, the code page, step 2, its errors and the done page', async () => {
    const link = await issueInvitation(t, nextPatient());
    await page.goto(`${t.url}/register/${link.token}`);
    await page.getByRole('heading', { name: "Verify it's you", level: 1 }).waitFor();
    await audit('step 1');

    await page.getByLabel('Date of birth (YYYYMMDD)').fill(wrongDob(link.dob));
    await page.getByLabel('PIN', { exact: true }).fill(link.pin);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').getByText('Your date of birth does not match our records.').waitFor();
    assert.equal(await page.getByLabel('Date of birth (YYYYMMDD)').getAttribute('aria-invalid'), 'true');
    await audit('step 1 with an error');

    await page.getByLabel('Date of birth (YYYYMMDD)').fill(link.dob);
    await page.getByLabel('Phone number').fill(link.patient.phone!);
    await page.getByLabel('Voice').check();
    await page.getByRole('button', { name: 'Send security code' }).click();
    await page.getByLabel('Security code').waitFor();
    await audit('security code');

    await page.getByLabel('Security code').fill('1');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByRole('alert').waitFor();
    await audit('security code with an error');

    const [message] = await t.dataSource.getRepository(OutboxMessage).findBy({ subjectId: link.invitationId });
    await page.getByLabel('Security code').fill(t.app.get(AppSecrets).unsealFromOutbox(message!.sealedSecret!));
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await audit('step 2');

    const taken = (await t.dataSource.getRepository(PortalAccount).findOneByOrFail({ status: 'active' })).username;
    await page.getByLabel('Username').fill(taken);
    await page.getByLabel('Password', { exact: true }).fill('password1234');
    await page.getByLabel('Confirm password').fill('password12345');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').getByText('Username has already been taken').waitFor();
    await page
      .getByRole('alert')
      .getByText(/Your password does not meet security requirements:/)
      .waitFor();
    await audit('step 2 with errors');

    await page.getByLabel('Username').fill(`browser${Date.now()}`);
    await page.getByLabel('Password', { exact: true }).fill(GOOD_PASSWORD);
    await page.getByLabel('Confirm password').fill(GOOD_PASSWORD);
    await page.getByLabel('Security question').selectOption({ label: 'In what city were you born?' });
    await page.getByLabel('Security answer').fill('Salem');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Sign in' }).getAttribute('href'), '/login');
    await audit('done');

    await page.goto(`${t.url}/register/${link.token}`);
    await page.getByRole('heading', { name: 'This registration link is not valid' }).waitFor();
    await audit('used link');
  });

  it('the not valid, locked, form expired and verify-first pages', async () => {
    await page.goto(`${t.url}/register/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
    await page.getByRole('heading', { name: 'This registration link is not valid' }).waitFor();
    await audit('unknown link');

    const locking = await issueInvitation(t, nextPatient(), { failedAttempts: 4 });
    await page.goto(`${t.url}/register/${locking.token}`);
    await page.getByLabel('Date of birth (YYYYMMDD)').fill(locking.dob);
    await page.getByLabel('PIN', { exact: true }).fill(wrongPin(locking.pin));
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText(LOCKED_MESSAGE).waitFor();
    await audit('locked');

    const link = await issueInvitation(t, nextPatient());
    await page.goto(`${t.url}/register/${link.token}`);
    await context.clearCookies();
    await page.getByLabel('Date of birth (YYYYMMDD)').fill(link.dob);
    await page.getByLabel('PIN', { exact: true }).fill(link.pin);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('This form has expired. Go back, reload the page and try again.').waitFor();
    await audit('form expired');

    await page.goto(`${t.url}/register/${link.token}/account`);
    await page.getByRole('heading', { name: "Please verify it's you first" }).waitFor();
    await audit('verify first');

    assertNoPageProblems(problems);
    assert.equal(checked.length, 12);
  });
});
