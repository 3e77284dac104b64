import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, BrowserContextOptions, Page, chromium } from 'playwright-core';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';
import { CHROMIUM_PATH } from './test-env';

/**
 * Real headless Chromium (Debian's, never a downloaded one) for the console and patient-page
 * tests, plus the checks every browser test wants: accessibility with axe-core, screenshots, and
 * a record of what went wrong inside the page (uncaught errors, CSP refusals, failed requests).
 */

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** apps/api/test-output/screenshots (gitignored), from the compiled dist/test/support/. */
export const SCREENSHOT_DIR = join(__dirname, '..', '..', '..', 'test-output', 'screenshots');

/** A desktop-sized front-desk screen. */
export const DESK_VIEWPORT = { width: 1366, height: 900 };

/** Long enough for a cold Vite chunk or a dispatcher cycle on a busy CI machine; waits end early. */
export const UI_TIMEOUT_MS = 20_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Everything the page complained about: a test asserts this stays empty. */
export interface PageProblems {
  pageErrors: string[];
  cspViolations: string[];
  /** Requests that answered 5xx: the console must never make the API fail. */
  serverErrors: string[];
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  problems: PageProblems;
}

/**
 * A fresh browser profile (own cookies, cache and storage) with one page. The app's real CSP
 * stays on: axe is injected through the DevTools protocol (`page.evaluate`), which CSP does not
 * govern, so there is no need for `bypassCSP`, which would also hide the console's own CSP faults.
 */
export async function openSession(browser: Browser, options: BrowserContextOptions = {}): Promise<BrowserSession> {
  const context = await browser.newContext({ viewport: DESK_VIEWPORT, acceptDownloads: true, locale: 'en-US', timezoneId: 'America/Los_Angeles', ...options });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  trackNetwork(context);
  const page = await context.newPage();
  const problems: PageProblems = { pageErrors: [], cspViolations: [], serverErrors: [] };
  page.on('pageerror', (error) => problems.pageErrors.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.cspViolations.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 500) problems.serverErrors.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  return { context, page, problems };
}

interface NetworkTracker {
  inFlight: number;
  lastActivity: number;
}

const networkTrackers = new WeakMap<BrowserContext, NetworkTracker>();

function trackNetwork(context: BrowserContext): void {
  const tracker: NetworkTracker = { inFlight: 0, lastActivity: Date.now() };
  const settle = () => {
    tracker.inFlight = Math.max(0, tracker.inFlight - 1);
    tracker.lastActivity = Date.now();
  };
  context.on('request', () => {
    tracker.inFlight++;
    tracker.lastActivity = Date.now();
  });
  context.on('requestfinished', settle);
  context.on('requestfailed', settle);
  networkTrackers.set(context, tracker);
}

/**
 * Resolves once no request of the profile has been in flight for `quietMs`: the console has
 * received and rendered what it asked for (a refresh after a reset, a poll of the email status).
 */
export async function networkQuiet(context: BrowserContext, quietMs = 300, timeoutMs = UI_TIMEOUT_MS): Promise<void> {
  const tracker = networkTrackers.get(context);
  if (!tracker) return;
  const deadline = Date.now() + timeoutMs;
  while (tracker.inFlight > 0 || Date.now() - tracker.lastActivity < quietMs) {
    if (Date.now() > deadline) throw new Error(`The page kept the network busy for ${timeoutMs} ms (${tracker.inFlight} requests in flight)`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function assertNoPageProblems(problems: PageProblems): void {
  assert.deepEqual(problems.pageErrors, [], 'uncaught errors in the page');
  assert.deepEqual(problems.cspViolations, [], 'Content-Security-Policy violations');
  assert.deepEqual(problems.serverErrors, [], 'requests the API answered with 5xx');
}

/** Signs in through the console's sign-in form and waits for the signed-in layout. */
export async function signInThroughConsole(page: Page, baseUrl: string, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/#/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('menuitem', { name: 'Patients' }).waitFor();
}

/** Saves a full-page screenshot as test-output/screenshots/<name>.png; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // Animations and the blinking caret would make screenshots differ from run to run.
  await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide' });
  return path;
}

interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
  /** axe's explanation for the first element, e.g. the contrast ratio it measured. */
  why: string;
}

let axeSource: string | null = null;

/**
 * Runs axe-core over the whole page as it is now and fails on any serious or critical violation,
 * naming each rule and the elements it found. Minor and moderate findings are returned so a test
 * can log them without failing on them.
 */
export async function assertAccessible(page: Page, screen: string): Promise<AxeFinding[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Colours are measured as painted: let pending answers render and their transitions end first.
  await networkQuiet(page.context());
  await settleAnimations(page);
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(axeSource);
  const findings = (await page.evaluate(`
    window.axe.run(document, { resultTypes: ['violations'] }).then((result) =>
      result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        targets: v.nodes.map((node) => JSON.stringify(node.target)),
        why: (v.nodes[0] && v.nodes[0].failureSummary || '').replace(/\\s+/g, ' ').trim(),
      })),
    )
  `)) as AxeFinding[];
  const blocking = findings.filter((f) => f.impact === 'serious' || f.impact === 'critical');
  if (blocking.length) await saveScreenshot(page, `axe-failure-${screen.replace(/[^a-z0-9]+/gi, '-')}`);
  assert.deepEqual(
    blocking.map((f) => `${f.impact} ${f.id}: ${f.help} at ${f.targets.join(', ')} (${f.why})`),
    [],
    `${screen}: serious or critical accessibility violations`,
  );
  return findings;
}

/** The page itself never scrolls sideways: wide tables scroll inside their own box (WCAG 1.4.10). */
export async function assertNoSidewaysScroll(page: Page, screen: string): Promise<void> {
  const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
  assert.ok(overflow <= 0, `${screen}: the page scrolls sideways by ${overflow}px`);
}

/**
 * Waits for running CSS transitions and animations (a dialog fading in, a menu fading out) to
 * end: axe measures colours as painted, and a half-faded element fails contrast it really passes.
 * Endless ones (progress spinners) are left alone.
 */
export async function settleAnimations(page: Page): Promise<void> {
  await page.evaluate(`
    Promise.all(
      document.getAnimations()
        .filter((animation) => animation.effect && animation.effect.getComputedTiming().endTime !== Infinity)
        .map((animation) => animation.finished.catch(() => undefined)),
    ).then(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))))
  `);
}

/** Values of a CSV line (RFC 4180 quoting), enough to read the audit export. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}
