import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';
import { assertAccessible, assertNoPageProblems, launchChromium, openSession } from '../support/browser';
import { freePort } from '../support/free-port';
import { MAPLE_DESK } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';

/**
 * Passkeys as the second step, with Chromium's virtual authenticator (DevTools protocol
 * WebAuthn domain) standing in for a security key or a phone. WebAuthn needs a host name for
 * its relying party, so the app runs at http://localhost:<port> and PUBLIC_URL says so.
 */
describe('passkeys in the console', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;
  let base: string;

  before(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    t = await startTestApp({ seedPatients: 3, label: 'brpasskey', port, env: { PUBLIC_URL: base } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('adds a passkey, then signs in with the password and the passkey', async () => {
    const { page, context, problems } = await openSession(browser);
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });

    await page.goto(`${base}/#/login`);
    await page.getByLabel('Email').fill(MAPLE_DESK);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('menuitem', { name: 'Patients' }).waitFor();

    await page.goto(`${base}/#/two-step`);
    await page.getByLabel('Passkey name').fill('Desk laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    // The first factor comes with recovery codes.
    await page.getByRole('list', { name: 'Recovery codes' }).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('list', { name: 'Your passkeys' }).getByText('Desk laptop', { exact: true }).waitFor();
    await assertAccessible(page, 'two-step sign-in page');
    const [row] = await t.dataSource.query(
      "SELECT f.publicKey, f.credentialId FROM staff_mfa_factors f JOIN staff_users u ON u.id = f.staffUserId WHERE u.email = ? AND f.kind = 'webauthn'",
      [MAPLE_DESK],
    );
    assert.ok(row?.credentialId, 'the passkey is stored');

    // Signed out: the password alone is no longer enough for this person.
    await context.clearCookies();
    await page.goto(`${base}/#/login`);
    await page.reload();
    await page.getByLabel('Email').fill(MAPLE_DESK);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const usePasskey = page.getByRole('button', { name: 'Use a passkey' });
    await usePasskey.waitFor();
    assert.ok(!(await context.cookies()).some((c) => c.name === 'rd_session'));
    await usePasskey.click();
    await page.getByRole('menuitem', { name: 'Patients' }).waitFor();
    const [login] = await t.dataSource.query(
      "SELECT e.details FROM audit_events e JOIN staff_users u ON u.id = e.actorId WHERE u.email = ? AND e.action = 'staff.login' ORDER BY e.seq DESC LIMIT 1",
      [MAPLE_DESK],
    );
    assert.deepEqual(JSON.parse(login.details), { method: 'password', secondFactor: 'webauthn' });
    assertNoPageProblems(problems);
    await context.close();
  });
});
