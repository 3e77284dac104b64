import 'reflect-metadata';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Browser, BrowserContext, chromium, Response } from 'playwright-core';
import { BenchArgs } from './support/bench-args';
import { BENCH_MYSQL_URL, createBenchDatabase, signInCookie, startBenchApp } from './support/bench-app';
import { loadBenchPatients } from './support/patient-loader';
import { printTable } from './support/print-table';

/**
 * `npm run bench:console [-- --patients 100000 --runs 5 --keep]`
 *
 * What the staff console costs a front-desk browser: the gzip size of the JavaScript and CSS the
 * sign-in page and the patient list actually request on a first (cold-cache) load, and how long
 * the patient list takes to become usable in headless Chromium against a database of N patients.
 * The console is the built one (apps/console/dist), served by the real API; the npm script
 * builds it first.
 */

const TARGET_FIRST_LOAD_KB = 350;
const DESK = 'desk@maplegrove.test';
const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** A seeded or loaded MRN in the first cell: a real data row, not a loading placeholder. */
const MRN_CELL = /^[A-Z]{2}-\d+$/;

const USAGE = `Usage: npm run bench:console -- [options]
  --patients N   synthetic patients in the database, over both practices (default 100000; 100k, 1m accepted)
  --runs N       cold-cache loads of the patient list to time (default 5)
  --json FILE    also write the results as JSON
  --keep         keep the database afterwards (its URL is printed)
Server: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306). Browser: CHROMIUM_PATH (default /usr/bin/chromium).`;

interface Asset {
  path: string;
  kind: 'js' | 'css' | 'html';
  bytes: number;
  gzipBytes: number;
}

interface PageWeight {
  page: string;
  assets: Asset[];
  js: { count: number; bytes: number; gzip: number };
  css: { count: number; bytes: number; gzip: number };
  html: { bytes: number; gzip: number };
  /** JS + CSS gzip: what the target is about. */
  firstLoadGzip: number;
}

interface TtiRun {
  cache: 'cold' | 'warm';
  /** Navigation start to the first data row visible with the search box enabled. */
  ttiMs: number;
  /** Navigation start to the end of the GET /api/patients response that filled the list. */
  listResponseEndMs: number | null;
  listServerMs: number | null;
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const ms = (n: number | null) => (n === null || !Number.isFinite(n) ? '-' : n.toFixed(0));
const loadNow = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

function kindOf(response: Response): Asset['kind'] | null {
  const type = (response.headers()['content-type'] ?? '').toLowerCase();
  const path = new URL(response.url()).pathname;
  if (type.includes('javascript') || /\.m?js$/.test(path)) return 'js';
  if (type.includes('text/css') || path.endsWith('.css')) return 'css';
  if (type.includes('text/html')) return 'html';
  return null;
}

/**
 * Records every same-origin JS, CSS and HTML response a page receives while `load` runs, with
 * the size of its body gzipped at level 9 (what a server or CDN would send).
 */
async function weigh(
  context: BrowserContext,
  name: string,
  origin: string,
  load: (page: import('playwright-core').Page) => Promise<void>,
): Promise<PageWeight> {
  const page = await context.newPage();
  const pending: Promise<Asset | null>[] = [];
  page.on('response', (response) => {
    const kind = kindOf(response);
    if (!kind || !response.url().startsWith(origin) || response.status() !== 200) return;
    pending.push(
      response.body().then(
        (body) => ({ path: new URL(response.url()).pathname, kind, bytes: body.length, gzipBytes: gzipSync(body, { level: 9 }).length }),
        () => null,
      ),
    );
  });
  await load(page);
  // Chunks requested right after the screen is ready (preloads) are part of its first load too.
  await page.waitForLoadState('networkidle');
  const assets = (await Promise.all(pending)).filter((a): a is Asset => a !== null);
  await page.close();
  const sum = (kind: Asset['kind']) => {
    const of = assets.filter((a) => a.kind === kind);
    return { count: of.length, bytes: of.reduce((n, a) => n + a.bytes, 0), gzip: of.reduce((n, a) => n + a.gzipBytes, 0) };
  };
  const js = sum('js');
  const css = sum('css');
  const html = sum('html');
  return { page: name, assets, js, css, html: { bytes: html.bytes, gzip: html.gzip }, firstLoadGzip: js.gzip + css.gzip };
}

async function signedInContext(browser: Browser, baseUrl: string, cookieHeader: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  await context.addCookies(
    cookieHeader.split('; ').map((pair) => {
      const at = pair.indexOf('=');
      return { name: pair.slice(0, at), value: pair.slice(at + 1), url: baseUrl };
    }),
  );
  return context;
}

/**
 * The list is usable when a real row is on screen and the search box takes typing. A function,
 * not a string: the app's CSP forbids eval, which a string predicate would need.
 */
function listReady(mrnPattern: string): number | false {
  const document = (globalThis as any).document;
  const cell = document.querySelector('tbody tr td');
  const row = cell?.closest('tr');
  const search = document.querySelector('input[name="q"]');
  const visible = !!row && row.getBoundingClientRect().height > 0 && new RegExp(mrnPattern).test(cell.textContent.trim());
  return visible && !!search && !search.disabled ? (globalThis as any).performance.now() : false;
}

async function timePatientList(
  context: BrowserContext,
  baseUrl: string,
  cache: TtiRun['cache'],
  page?: import('playwright-core').Page,
): Promise<{ run: TtiRun; page: import('playwright-core').Page }> {
  const tab = page ?? (await context.newPage());
  let listResponse: Response | null = null;
  const onResponse = (response: Response) => {
    if (new URL(response.url()).pathname === '/api/patients') listResponse = response;
  };
  tab.on('response', onResponse);
  if (cache === 'warm') await tab.reload({ waitUntil: 'commit' });
  else await tab.goto(`${baseUrl}/#/patients`, { waitUntil: 'commit' });
  const handle = await tab.waitForFunction(listReady, MRN_CELL.source, { polling: 'raf', timeout: 60_000 });
  const ttiMs = (await handle.jsonValue()) as number;
  tab.off('response', onResponse);
  let listResponseEndMs: number | null = null;
  let listServerMs: number | null = null;
  if (listResponse) {
    await (listResponse as Response).finished();
    const timing = (listResponse as Response).request().timing();
    // Playwright's timings are relative to the request's start; its start is an epoch time.
    const navigationStart = (await tab.evaluate('performance.timeOrigin')) as number;
    listResponseEndMs = timing.startTime + timing.responseEnd - navigationStart;
    listServerMs = timing.responseStart - timing.requestStart;
  }
  return { run: { cache, ttiMs, listResponseEndMs, listServerMs }, page: tab };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<number> {
  const args = new BenchArgs(process.argv.slice(2), { patients: 'count', runs: 'count', json: 'string', keep: 'flag' });
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const patients = args.count('patients', 100_000);
  const runs = args.count('runs', 5);
  const keep = args.flag('keep');
  const jsonFile = args.string('json', '');
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium is not installed at ${CHROMIUM_PATH} ("apt-get install -y chromium") or set CHROMIUM_PATH`);
  const builtConsole = builtConsoleDir();

  const db = await createBenchDatabase('console');
  let dropped = false;
  const cleanUpDatabase = async () => {
    if (keep || dropped) return;
    dropped = true;
    await db.drop();
  };
  process.once('SIGINT', () => {
    console.log('\nInterrupted.' + (keep ? ` Database kept: ${db.name}` : ' Dropping the bench database.'));
    void cleanUpDatabase().finally(() => process.exit(130));
  });

  const bench = await startBenchApp(db.url);
  let browser: Browser | null = null;
  try {
    console.log('ResetDesk console benchmark');
    console.log(`  console:     ${builtConsole.dir} (built ${builtConsole.builtAt})`);
    console.log(`  server:      MySQL ${db.server.version} at ${BENCH_MYSQL_URL.replace(/\/\/[^@]*@/, '//')}`);
    console.log(`  database:    ${db.name}${keep ? ' (kept afterwards)' : ' (dropped afterwards)'}`);
    console.log(`  machine:     ${cpus().length} CPU, Node ${process.versions.node}, load average ${loadNow()}`);

    const { load: loaded, practicePatients: listed } = await loadBenchPatients(db.sql, bench.dataSource, patients);
    console.log(`done in ${loaded.seconds.toFixed(1)} s; ${listed.toLocaleString('en-US')} of them in Maple Grove, whose list ${DESK} opens.`);

    const baseUrl = await bench.listen();
    const cookie = await signInCookie(baseUrl, DESK);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });

    // First loads: a fresh browser profile each, so nothing comes from the HTTP cache.
    const signInContext = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const signIn = await weigh(signInContext, 'sign-in page', baseUrl, async (page) => {
      await page.goto(`${baseUrl}/`);
      await page.getByLabel('Email').waitFor();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
    });
    await signInContext.close();
    const listContext = await signedInContext(browser, baseUrl, cookie);
    const list = await weigh(listContext, 'patient list', baseUrl, async (page) => {
      await page.goto(`${baseUrl}/#/patients`);
      await page.waitForFunction(listReady, MRN_CELL.source, { timeout: 60_000 });
    });
    await listContext.close();

    // Time to interactive: `runs` cold loads, each followed by a reload from the warm cache.
    const timings: TtiRun[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await signedInContext(browser, baseUrl, cookie);
      const cold = await timePatientList(context, baseUrl, 'cold');
      timings.push(cold.run);
      timings.push((await timePatientList(context, baseUrl, 'warm', cold.page)).run);
      await context.close();
    }

    console.log(`\nJS and CSS requested on a first load (cold cache), gzip level 9; KB = 1024 bytes`);
    printTable(
      ['page', 'JS files', 'JS raw KB', 'JS gzip KB', 'CSS files', 'CSS gzip KB', 'JS+CSS gzip KB', `target ≤ ${TARGET_FIRST_LOAD_KB} KB`, 'HTML gzip KB'],
      [signIn, list].map((w) => [
        w.page,
        String(w.js.count),
        kb(w.js.bytes),
        kb(w.js.gzip),
        String(w.css.count),
        kb(w.css.gzip),
        kb(w.firstLoadGzip),
        w.firstLoadGzip <= TARGET_FIRST_LOAD_KB * 1024 ? 'PASS' : 'MISS',
        kb(w.html.gzip),
      ]),
      new Set([1, 2, 3, 4, 5, 6, 8]),
    );
    const extra = list.assets.filter((a) => a.kind !== 'html' && !signIn.assets.some((s) => s.path === a.path));
    console.log(
      `Signing in and opening the list after the sign-in page adds ${extra.length} files, ${kb(extra.reduce((n, a) => n + a.gzipBytes, 0))} KB gzip.`,
    );
    console.log('\nLargest files of the patient list load:');
    printTable(
      ['file', 'raw KB', 'gzip KB'],
      [...list.assets]
        .sort((a, b) => b.gzipBytes - a.gzipBytes)
        .slice(0, 8)
        .map((a) => [a.path, kb(a.bytes), kb(a.gzipBytes)]),
      new Set([1, 2]),
    );

    console.log(`\nPatient list time to interactive (navigation start → first data row visible and Search enabled), ${runs} runs, ms`);
    const rows = (['cold', 'warm'] as const).map((cache) => {
      const of = timings.filter((r) => r.cache === cache);
      const tti = of.map((r) => r.ttiMs);
      const listEnd = of.map((r) => r.listResponseEndMs).filter((n): n is number => n !== null);
      const server = of.map((r) => r.listServerMs).filter((n): n is number => n !== null);
      return [
        cache === 'cold' ? 'cold cache (first visit)' : 'warm cache (reload)',
        ms(median(tti)),
        ms(Math.min(...tti)),
        ms(Math.max(...tti)),
        ms(median(listEnd)),
        ms(median(server)),
      ];
    });
    printTable(['load', 'TTI median', 'min', 'max', 'list API answered at', 'list API server time'], rows, new Set([1, 2, 3, 4, 5]));
    console.log(
      `(${listed.toLocaleString('en-US')} patients in the practice, ${(patients + 20).toLocaleString('en-US')} in the database; load average now ${loadNow()})`,
    );

    const misses = [signIn, list].filter((w) => w.firstLoadGzip > TARGET_FIRST_LOAD_KB * 1024);
    console.log(
      `\nTarget: ≤ ${TARGET_FIRST_LOAD_KB} KB gzip of JS and CSS on the first load of each page. Result: ${
        misses.length
          ? `MISS (${misses.map((w) => `${w.page} ${kb(w.firstLoadGzip)} KB`).join('; ')})`
          : `PASS (largest ${kb(Math.max(signIn.firstLoadGzip, list.firstLoadGzip))} KB)`
      }`,
    );

    if (jsonFile) {
      writeFileSync(
        jsonFile,
        JSON.stringify(
          {
            patients,
            listedPatients: listed,
            runs,
            targetKb: TARGET_FIRST_LOAD_KB,
            pages: [signIn, list],
            timings,
            machine: { cpus: cpus().length, node: process.versions.node, loadAverageAtEnd: loadavg() },
          },
          null,
          2,
        ),
      );
      console.log(`Results written to ${jsonFile}`);
    }
    if (keep) console.log(`\nDatabase kept: ${db.url}`);
    return 0;
  } finally {
    await browser?.close();
    await bench.close();
    if (keep) await db.close();
    else await cleanUpDatabase();
  }
}

/** apps/console/dist, which the API serves by default; the bench measures what is built, so it says when that was. */
function builtConsoleDir(): { dir: string; builtAt: string } {
  const dir = join(__dirname, '..', '..', '..', 'console', 'dist');
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    throw new Error(`The console is not built (${index} is missing): run "npm run build" (or use "npm run bench:console", which builds first)`);
  }
  return { dir, builtAt: statSync(index).mtime.toISOString() };
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`Console benchmark failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
