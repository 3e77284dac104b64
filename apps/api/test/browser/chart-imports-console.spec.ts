import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ChartImportJobs } from '../../src/chart-import/chart-import-jobs';
import { launchChromium, openSession, signInThroughConsole } from '../support/browser';
import { MAPLE_ADMIN, MAPLE_DESK } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { browserSkip } from '../support/test-env';
import { condition, ndjson, patient } from '../chart-import/fhir-fixtures';

/** An admin imports an EHR export from the console; the front desk never sees the screen. */
describe('Chart imports in the console, in a browser', { skip: browserSkip }, () => {
  let t: TestApp;
  let browser: Browser;

  before(async () => {
    t = await startTestApp({ seedPatients: 5, label: 'brimport' });
    t.app.get(ChartImportJobs).start();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.app.get(ChartImportJobs).stop();
    await t?.close();
  });

  it('Import charts uploads a file and shows its counts and rejects with file, line and reason', async () => {
    const { page, context } = await openSession(browser);
    await signInThroughConsole(page, t.url, MAPLE_ADMIN);
    await page.getByRole('menuitem', { name: 'Chart imports' }).click();
    await page.getByRole('button', { name: 'Import charts' }).waitFor();
    const file = ndjson([patient({ id: 'br-1', mrn: 'BR-1', family: 'Browserly' }), 'garbage line', condition('br-c', 'br-1')]);
    await page.locator('input[type=file]').setInputFiles({ name: 'Patient.000.ndjson', mimeType: 'application/fhir+ndjson', buffer: Buffer.from(file) });
    await page.getByRole('heading', { name: 'Chart import: Patient.000.ndjson' }).waitFor();
    await page.getByText('Done', { exact: true }).waitFor();
    const rejects = page.getByRole('region', { name: /Rejected records/ });
    await rejects.getByRole('cell', { name: 'not valid JSON' }).waitFor();
    assert.equal(await rejects.getByRole('cell', { name: '2', exact: true }).count(), 1, 'the reject names line 2');
    await page.getByRole('menuitem', { name: 'Chart imports' }).click();
    await page.getByRole('cell', { name: 'Patient.000.ndjson' }).waitFor();
    await context.close();
  });

  it('has no Chart imports menu for a desk user', async () => {
    const { page, context } = await openSession(browser);
    await signInThroughConsole(page, t.url, MAPLE_DESK);
    assert.equal(await page.getByRole('menuitem', { name: 'Chart imports' }).count(), 0);
    await context.close();
  });
});
