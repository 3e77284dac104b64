import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { PortalApp } from '../../src/portal-apps/portal-app.entity';
import { assertAccessible, assertNoPageProblems, launchChromium, openSession, signInThroughConsole } from '../support/browser';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';
import { activeAccounts } from './oidc-fixtures';

/** The console's Portal apps screens (admins) and the End portal sessions button, in Chromium. */
describe('console: Portal apps and End portal sessions', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;

  before(async () => {
    t = await startTestApp({ seedPatients: 6, label: 'consoleapps' });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('an admin adds a portal app and sees its secret once; a bad URI shows on the field', async () => {
    const { page, problems } = await openSession(browser);
    await signInThroughConsole(page, t.url, MAPLE_ADMIN);
    await page.getByRole('menuitem', { name: 'Portal apps' }).click();
    await page.getByText('No portal apps yet.').waitFor();
    await page.getByRole('link', { name: 'Add portal app' }).click();
    await page.getByLabel(/^Name/).fill('Maple Grove portal');
    await page.getByLabel(/^Redirect URIs/).fill('http://portal.example/callback');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.MuiFormHelperText-root', { hasText: 'Use https (plain http only for http://localhost or http://127.0.0.1).' }).waitFor();
    await page.getByLabel(/^Redirect URIs/).fill('https://portal.example/callback');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'Portal app added' }).waitFor();
    const secret = await page.getByTestId('client-secret').innerText();
    const row = await t.dataSource.getRepository(PortalApp).findOneByOrFail({ name: 'Maple Grove portal' });
    assert.ok(secret.length >= 43);
    assert.notEqual(row.clientSecretHash, secret);
    await assertAccessible(page, 'portal app added');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByText(row.clientId).waitFor();
    assertNoPageProblems(problems);
  });

  it("the desk ends a patient's portal sessions from the Portal tab", async () => {
    const [{ patient }] = await activeAccounts(t, MAPLE_GROVE_ID);
    const { page, problems } = await openSession(browser);
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    await page.goto(`${t.url}/#/patients/${patient!.id}/show`);
    await page.getByRole('tab', { name: 'Portal' }).click();
    await page.getByRole('button', { name: 'End portal sessions' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'End portal sessions' }).click();
    await page.getByText('The patient is signed out of the portal and every portal app.').waitFor();
    const event = await t.dataSource.getRepository(AuditEvent).findOneBy({ action: 'portal.sessions_ended', patientId: patient!.id });
    assert.ok(event, 'audited');
    assertNoPageProblems(problems);
  });
});
