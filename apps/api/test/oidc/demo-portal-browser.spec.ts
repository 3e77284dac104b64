import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { registerDemoPortalApp } from '../../src/demo-portal/demo-portal-app';
import { DEMO_PATIENT_PASSWORD } from '../recovery/recovery-fixtures';
import { PageProblems, assertAccessible, assertNoPageProblems, launchChromium, openSession } from '../support/browser';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';
import { activeAccounts, startOidcTestApp } from './oidc-fixtures';

/**
 * The demo patient portal (a relying party on openid-client) in real Chromium with the app's
 * CSP: sign in through ResetDesk's interaction page, see the claims, and be signed out by the
 * back-channel logout a staff reset sends.
 */
describe('the demo patient portal signs in through ResetDesk in a browser', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let problems: PageProblems;

  before(async () => {
    t = await startOidcTestApp({ seedPatients: 12, label: 'demoportal', env: { RUN_DISPATCHER: 'true' } });
    await t.dataSource.transaction((manager) => registerDemoPortalApp(manager, MAPLE_GROVE_ID, t.url));
    browser = await launchChromium();
    ({ page, problems } = await openSession(browser, { viewport: { width: 390, height: 844 } }));
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('signs in to the portal, shows the ID token claims and userinfo, and a reset signs it out', async () => {
    const [{ patient, account }] = await activeAccounts(t, MAPLE_GROVE_ID);
    await page.goto(`${t.url}/demo-portal/`);
    await page.getByRole('link', { name: 'Sign in with your patient portal account' }).click();

    await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
    assert.ok(page.url().startsWith(`${t.url}/oidc/interaction/`), page.url());
    await page.getByText('Demo patient portal').first().waitFor();
    await assertAccessible(page, 'OpenID sign-in');
    await page.getByLabel('Username').fill(account!.username);
    await page.getByLabel('Password').fill('Not-the-password-123');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Invalid username or password').first().waitFor();
    await assertAccessible(page, 'OpenID sign-in with an error');
    await page.getByRole('link', { name: 'Forgot your password?' }).waitFor();
    await page.getByLabel('Username').fill(account!.username);
    await page.getByLabel('Password').fill(DEMO_PATIENT_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Signed in to the portal', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/demo-portal/');
    const text = await page.locator('main').innerText();
    assert.ok(text.includes(`You are signed in to the portal as ${account!.username}`), text);
    for (const claim of ['sub', 'sid', 'preferred_username', 'given_name', 'family_name', 'birthdate', 'email']) assert.ok(text.includes(claim), claim);
    assert.ok(text.includes(patient!.dateOfBirth));

    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const reset = await desk.post(`/api/patients/${patient!.id}/portal-reset`, { reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' });
    assert.equal(reset.status, 201);
    // The back-channel logout arrives through the outbox; the portal forgets the session.
    const deadline = Date.now() + 20_000;
    for (;;) {
      await page.goto(`${t.url}/demo-portal/`);
      if (await page.getByRole('link', { name: 'Sign in with your patient portal account' }).isVisible()) break;
      assert.ok(Date.now() < deadline, 'the portal was signed out by back-channel logout');
      await new Promise((r) => setTimeout(r, 200));
    }
    assertNoPageProblems(problems);
  });
});
