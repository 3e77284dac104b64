import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fork } from 'node:child_process';
import { mulberry32 } from '../src/seed/demo-seed';
import { BenchArgs, BenchUsageError } from './support/bench-args';
import { BENCH_MYSQL_URL, BenchDatabase, createBenchDatabase, openBenchDatabase, signInCookie, startBenchApp } from './support/bench-app';
import type { LoadJob, LoadOutcome } from './support/load-worker';
import { LoadResult, SearchablePatient, loadBenchPatients, samplePatients } from './support/patient-loader';
import { CapturedQuery, ExecutedPlan, ExplainRow, SqlCapture, analyze, explain, inlineSql } from './support/sql-capture';
import { printTable } from './support/print-table';

/**
 * `npm run bench:search [-- --patients 1000000 --requests 300 --concurrency 4 --keep]`
 *
 * How fast the front desk's patient search answers on a large practice: a fresh MySQL database,
 * N synthetic patients, the real app over HTTP, and per kind of search the latency percentiles,
 * the throughput and the EXPLAIN of the exact SQL the service ran.
 */

/** Each search's p95 may be at most this multiple of the p95 of GET /api/auth/me in the same run. */
const MAX_P95_RATIO = 2;
const REFERENCE_PATIENTS = 1_000_000;
const SEARCHING_STAFF = 'desk@maplegrove.test';

const USAGE = `Usage: npm run bench:search -- [options]
  --patients N      synthetic patients to load, split about evenly over both practices (default 100000; 100k, 1m accepted)
  --requests N      measured requests per kind of search (default 300)
  --concurrency N   parallel clients (default 4)
  --warmup N        unmeasured requests per kind before measuring (default 20)
  --budget S        at most S seconds per phase of each kind (warm-up, SQL replay, measurement), so
                    a pathological plan ends the run instead of taking hours (default 60)
  --timeout S       a request unanswered after S seconds fails (default 30)
  --json FILE       also write the results as JSON
  --buffer-pool-mb N  run with innodb_buffer_pool_size at N MB, as the README asks of a server
                    holding this many patients (about 1 GB per million), and put the server's own
                    value back afterwards; needs a user allowed to SET GLOBAL. Without it the run
                    uses the server as it is, and a pool smaller than the indexes shows disk reads.
  --keep            keep the database afterwards (its URL is printed)
  --reuse NAME      measure an existing database kept by an earlier --keep run, skipping the load
Server: BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306); the user must be allowed to create databases.`;

interface SearchKind {
  key: string;
  label: string;
  /** A fixed request instead of a search (the control row). */
  path?: string;
  /** What staff type for this patient, or undefined when the patient has no such value. */
  q: ((patient: SearchablePatient) => string | null | undefined) | null;
  /** Part of the contract's target, or an extra measurement for context. */
  targeted: boolean;
}

const KINDS: SearchKind[] = [
  { key: 'last-name', label: 'last name prefix (3 letters)', q: (p) => p.lastName.slice(0, 3), targeted: true },
  { key: 'first-name', label: 'first name prefix (3 letters)', q: (p) => p.firstName.slice(0, 3), targeted: true },
  { key: 'email', label: 'email prefix (10 characters)', q: (p) => p.email?.slice(0, 10), targeted: true },
  { key: 'mrn', label: 'MRN exact', q: (p) => p.mrn, targeted: true },
  { key: 'phone-e164', label: 'phone exact, E.164 (+15035550123)', q: (p) => p.phoneDigits && `+${p.phoneDigits}`, targeted: true },
  { key: 'phone-national', label: 'phone exact, 10 digits (5035550123)', q: (p) => p.phoneDigits?.slice(1), targeted: true },
  { key: 'no-search', label: 'first page, no search (extra)', q: null, targeted: false },
  // The floor every staff request pays (session check, Nest, JSON, HTTP) with no search at all.
  { key: 'control', label: 'control: GET /api/auth/me', path: '/api/auth/me', q: null, targeted: false },
];

interface KindResult {
  key: string;
  label: string;
  targeted: boolean;
  example: string;
  requests: number;
  /** Requests that completed (any status); fewer than `requests` when the budget ran out. */
  completed: number;
  failed: number;
  errors: string[];
  noMatch: number;
  medianMatches: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  max: number;
  rps: number;
  /** The same SQL replayed straight on MySQL, one request's count + page at a time: the database's share. */
  sqlP50: number;
  sqlP95: number;
  sqlSamples: number;
  plans: { sql: string; explain: ExplainRow[]; executed: ExecutedPlan | null; findings: string[] }[];
}

function listPath(q: string | null): string {
  const params = new URLSearchParams();
  if (q !== null) params.set('filter', JSON.stringify({ q }));
  params.set('range', '[0,24]');
  params.set('sort', '["lastName","ASC"]');
  return `/api/patients?${params.toString()}`;
}

function pathsFor(kind: SearchKind, sample: SearchablePatient[], count: number, rand: () => number): string[] {
  if (kind.path) return Array.from({ length: count }, () => kind.path!);
  if (!kind.q) return Array.from({ length: count }, () => listPath(null));
  const candidates = sample.map(kind.q).filter((q): q is string => !!q);
  if (!candidates.length) throw new Error(`No sampled patient has a value for ${kind.label}`);
  return Array.from({ length: count }, () => listPath(candidates[Math.floor(rand() * candidates.length)]!));
}

function runLoad(job: LoadJob): Promise<LoadOutcome> {
  return new Promise((resolve, reject) => {
    const client = fork(join(__dirname, 'support', 'load-worker.js'));
    client.once('message', (outcome: LoadOutcome) => resolve(outcome));
    client.once('error', reject);
    client.once('exit', (code) => code !== 0 && reject(new Error(`The load client exited with code ${code}`)));
    client.send(job);
  });
}

/** Nearest-rank percentile of an ascending list. */
function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * What in a plan means reading far more of the practice's patients than the page shows. Full
 * scans come from EXPLAIN; how many rows were really read comes from ANALYZE where the server
 * has it, because EXPLAIN's estimate for an ordered scan with LIMIT says nothing about when it stops.
 */
function planFindings(rows: ExplainRow[], executed: ExecutedPlan | null, practicePatients: number): string[] {
  const findings: string[] = [];
  const share = (n: number) => `${((100 * n) / Math.max(1, practicePatients)).toFixed(0)}% of the practice`;
  const many = (n: number) => n > Math.max(1000, practicePatients * 0.05);
  for (const row of rows) {
    if (row.table !== 'p') continue;
    if (row.type === 'ALL') findings.push(`FULL TABLE SCAN on patients (type ALL, ~${row.rows} rows estimated)`);
    else if (row.type === 'index') findings.push(`FULL INDEX SCAN on patients (type index on ${row.key}, ~${row.rows} rows estimated)`);
    else if (!executed && row.rows !== null && many(Number(row.rows))) {
      findings.push(`may read ~${row.rows} patient rows (${share(Number(row.rows))}, EXPLAIN estimate) via ${row.type} on ${row.key}`);
    }
    const sorted = executed ? executed.patientRowsRead : Number(row.rows ?? 0);
    if (row.Extra && /filesort/i.test(row.Extra) && sorted > 1000) findings.push(`sorts ~${sorted} matches (filesort) before taking the page`);
  }
  if (executed && many(executed.patientRowsRead)) {
    findings.push(`READ ${executed.patientRowsRead} patient rows (${share(executed.patientRowsRead)}), ${executed.pagesAccessed} pages, per ANALYZE`);
  }
  return findings;
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

/** One line per plan row, every EXPLAIN column but possible_keys (that one is in the --json output). */
function printExplain(rows: ExplainRow[]): void {
  for (const row of rows) {
    const fields = (['table', 'type', 'key', 'key_len', 'ref', 'rows', 'Extra'] as const).map((c) => `${c}=${row[c] ?? 'NULL'}`);
    console.log(`  ${row.id ?? '-'} ${row.select_type}  ${fields.join('  ')}`);
  }
}

/**
 * Replays each request's SQL (count, page, list columns) directly on MySQL, one query at a time,
 * and sums it per request: the latency the database alone contributes, without HTTP, Nest or the
 * client, and without the overlap the service gets from running count and page concurrently.
 */
async function replaySql(sql: import('mysql2/promise').Connection, requests: CapturedQuery[][], budgetSeconds: number): Promise<number[]> {
  const perRequest: number[] = [];
  const deadline = performance.now() + budgetSeconds * 1000;
  for (const queries of requests) {
    if (performance.now() > deadline) break;
    const begin = performance.now();
    for (const query of queries) await sql.query(query.sql, query.parameters as never);
    perRequest.push(performance.now() - begin);
  }
  return perRequest.sort((a, b) => a - b);
}

/** Issues the paths one after another, capturing each request's SQL on its own. */
async function captureRequests(capture: SqlCapture, baseUrl: string, cookie: string, paths: string[]): Promise<CapturedQuery[][]> {
  const requests: CapturedQuery[][] = [];
  for (const path of paths) {
    requests.push(
      await capture.during('patients', async () => {
        const response = await fetch(baseUrl + path, { headers: { cookie } });
        await response.arrayBuffer();
      }),
    );
  }
  return requests;
}

/** The total's query (Content-Range) as opposed to the page's. */
const isCountQuery = (sql: string) => /^SELECT\s+(\(SELECT\s+)?COUNT\(/i.test(sql);
/** The service reads a page and its counts in one statement where it can (see patient-search.ts). */
const statementLabel = (sql: string) =>
  isCountQuery(sql) ? '-- count for Content-Range' : /\) k LEFT JOIN \(/.test(sql) ? '-- the page of 25 and its Content-Range counts' : '-- the page of 25';

const loadNow = () =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

interface Dataset {
  /** Patients in the whole table, and in the searched practice. */
  patients: number;
  practicePatients: number;
  sample: SearchablePatient[];
  load: Omit<LoadResult, 'sample'> | null;
}

/** Fresh data: the demo practices and logins, then the synthetic patients. */
async function loadDataset(db: BenchDatabase, dataSource: import('typeorm').DataSource, patients: number): Promise<Dataset> {
  const { load: loaded, practicePatients } = await loadBenchPatients(db.sql, dataSource, patients);
  const { sample, ...load } = loaded;
  console.log(
    `\nLoaded ${load.patients.toLocaleString('en-US')} patients (${practicePatients.toLocaleString('en-US')} in Maple Grove, searched), ` +
      `${load.portalAccounts.toLocaleString('en-US')} portal accounts, ${load.invitations.toLocaleString('en-US')} pending invitations ` +
      `in ${load.seconds.toFixed(1)} s (${Math.round(load.patients / load.seconds).toLocaleString('en-US')} patients/s; ` +
      `${load.indexSeconds.toFixed(1)} s of it rebuilding indexes, ${load.countSeconds.toFixed(1)} s recounting search prefixes), then ANALYZE TABLE.`,
  );
  return { patients: patients + 20, practicePatients, sample, load };
}

/** A database kept by an earlier run: count and sample what is there. */
async function reuseDataset(db: BenchDatabase): Promise<Dataset> {
  const [[maple]] = (await db.sql.query("SELECT id FROM practices WHERE slug = 'maple-grove'")) as unknown as [{ id: string }[]];
  if (!maple) throw new Error(`${db.name} has no Maple Grove practice: not a database kept by this benchmark`);
  const [[counts]] = (await db.sql.query('SELECT COUNT(*) AS total, SUM(practiceId = ?) AS practice FROM patients', [maple.id])) as unknown as [
    { total: number; practice: string }[],
  ];
  const sample = await samplePatients(db.sql, maple.id);
  console.log(
    `\nReusing ${db.name}: ${Number(counts!.total).toLocaleString('en-US')} patients, ${Number(counts!.practice).toLocaleString('en-US')} in Maple Grove (searched).`,
  );
  return { patients: Number(counts!.total), practicePatients: Number(counts!.practice), sample, load: null };
}

async function main(): Promise<number> {
  const args = new BenchArgs(process.argv.slice(2), {
    patients: 'count',
    requests: 'count',
    concurrency: 'count',
    warmup: 'count',
    budget: 'count',
    timeout: 'count',
    json: 'string',
    keep: 'flag',
    reuse: 'string',
    'buffer-pool-mb': 'count',
  });
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const requested = args.count('patients', 100_000);
  const requests = args.count('requests', 300);
  const concurrency = args.count('concurrency', 4);
  const warmup = args.count('warmup', 20, 0);
  const budgetSeconds = args.count('budget', 60);
  const timeoutSeconds = args.count('timeout', 30);
  const reuse = args.string('reuse', '');
  const keep = args.flag('keep') || !!reuse;
  const jsonFile = args.string('json', '');
  const bufferPoolMb = args.count('buffer-pool-mb', 0, 0);

  const db = reuse ? await openBenchDatabase(reuse) : await createBenchDatabase('search');
  const serverPoolMb = db.server.bufferPoolMb;
  if (bufferPoolMb) await setBufferPool(db, bufferPoolMb);
  let dropped = false;
  const cleanUpDatabase = async () => {
    if (keep || dropped) return;
    dropped = true;
    await db.drop();
  };
  // Nest's own shutdown hooks would wait for the load's keep-alive connections: exit here instead.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log('\nInterrupted.' + (keep ? ` Database kept: ${db.name}` : ' Dropping the bench database.'));
      const restore = bufferPoolMb ? setBufferPool(db, serverPoolMb) : Promise.resolve();
      void restore.then(cleanUpDatabase).finally(() => process.exit(130));
    });
  }

  console.log('ResetDesk search benchmark');
  const pool = bufferPoolMb ? `${bufferPoolMb} MB for this run, ${serverPoolMb.toFixed(0)} MB restored afterwards` : `${serverPoolMb.toFixed(0)} MB`;
  console.log(`  server:      MySQL ${db.server.version} at ${BENCH_MYSQL_URL.replace(/\/\/[^@]*@/, '//')} (innodb_buffer_pool_size ${pool})`);
  console.log(`  database:    ${db.name}${keep ? ' (kept afterwards)' : ' (dropped afterwards)'}`);
  console.log(`  machine:     ${cpus().length} CPU, Node ${process.versions.node}, load average ${loadNow()}`);
  console.log(
    `  load:        ${reuse ? 'existing data' : `${requested.toLocaleString('en-US')} patients`}; ${requests} requests per kind, ${concurrency} concurrent, ` +
      `${warmup} warm-up, ${budgetSeconds} s budget per phase`,
  );

  const bench = await startBenchApp(db.url);
  try {
    const dataset = reuse ? await reuseDataset(db) : await loadDataset(db, bench.dataSource, requested);
    const patients = dataset.patients;
    const maplePatients = dataset.practicePatients;

    const baseUrl = await bench.listen();
    const cookie = await signInCookie(baseUrl, SEARCHING_STAFF);
    const capture = SqlCapture.install(bench.dataSource);
    const rand = mulberry32(42);
    const results: KindResult[] = [];

    for (const kind of KINDS) {
      const paths = pathsFor(kind, dataset.sample, requests, rand);
      const examplePath = paths[0]!;

      // One request alone with the SQL captured, so the plan is of exactly what the service ran.
      const captured: CapturedQuery[] = await capture.during('patients', async () => {
        const response = await fetch(baseUrl + examplePath, { headers: { cookie } });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`${examplePath} answered ${response.status}`);
      });
      const plans = [];
      for (const query of captured) {
        const rows = await explain(db.sql, query);
        const executed = await analyze(db.sql, query);
        plans.push({ sql: inlineSql(query), explain: rows, executed, findings: planFindings(rows, executed, maplePatients) });
      }

      // The database-only replay uses the warm-up's varied values, captured request by request.
      const load = { baseUrl, cookie, concurrency, budgetSeconds, timeoutSeconds };
      const warmupPaths = pathsFor(kind, dataset.sample, warmup, rand);
      if (warmup) await runLoad({ ...load, paths: warmupPaths });
      const replayed = warmup ? await captureRequests(capture, baseUrl, cookie, warmupPaths) : [captured];
      const sqlTimes = await replaySql(db.sql, replayed, budgetSeconds);
      const outcome = await runLoad({ ...load, paths });
      // Failed requests stay in the percentiles: a timeout is a very slow answer, not a missing one.
      const sorted = [...outcome.latencies].sort((a, b) => a - b);
      const succeeded = outcome.ok.filter(Boolean).length;
      const matched = outcome.totals.filter((t) => t >= 0).sort((a, b) => a - b);
      const q = new URLSearchParams(examplePath.split('?')[1]).get('filter');
      results.push({
        key: kind.key,
        label: kind.label,
        targeted: kind.targeted,
        example: kind.path ? '-' : q ? (JSON.parse(q) as { q: string }).q : '(none)',
        requests: paths.length,
        completed: outcome.latencies.length,
        failed: outcome.ok.filter((ok) => !ok).length,
        errors: outcome.errors,
        noMatch: matched.filter((t) => t === 0).length,
        medianMatches: percentile(matched, 50),
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        mean: sorted.reduce((sum, n) => sum + n, 0) / Math.max(1, sorted.length),
        max: sorted[sorted.length - 1] ?? NaN,
        rps: succeeded / Math.max(outcome.wallSeconds, 1e-9),
        sqlP50: percentile(sqlTimes, 50),
        sqlP95: percentile(sqlTimes, 95),
        sqlSamples: sqlTimes.length,
        plans,
      });
      const last = results[results.length - 1]!;
      const partial = last.completed < last.requests ? `, only ${last.completed} of ${last.requests} requests within the ${budgetSeconds} s budget` : '';
      console.log(`  measured ${kind.label}: p95 ${ms(last.p95)} ms${last.failed ? `, ${last.failed} failed` : ''}${partial} (load average ${loadNow()})`);
    }

    const controlP95 = results.find((r) => r.key === 'control')?.p95 ?? NaN;
    const ratioOf = (r: { p95: number }) => r.p95 / controlP95;
    const passes = (r: { p95: number; failed: number }) => ratioOf(r) <= MAX_P95_RATIO && !r.failed;
    console.log(`\nGET /api/patients?filter={"q":…}&range=[0,24]&sort=["lastName","ASC"] as ${SEARCHING_STAFF}; milliseconds, client-measured over HTTP`);
    printTable(
      ['search', 'example q', 'matches', 'p50', 'p95', 'p99', 'mean', 'max', 'req/s', 'sql p50', 'sql p95', 'requests', 'p95 ÷ me'],
      results.map((r) => [
        r.label,
        r.example,
        Number.isFinite(r.medianMatches) ? String(r.medianMatches) : '-',
        ms(r.p50),
        ms(r.p95),
        ms(r.p99),
        ms(r.mean),
        ms(r.max),
        r.rps.toFixed(0),
        ms(r.sqlP50),
        ms(r.sqlP95),
        r.completed < r.requests ? `${r.completed}/${r.requests}` : String(r.requests),
        r.targeted ? `${ratioOf(r).toFixed(2)} ${passes(r) ? 'PASS' : 'MISS'}` : '-',
      ]),
      new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    );
    console.log('(matches: median Content-Range total, i.e. how many patients the search found;');
    console.log(' sql p50/p95: all the SQL of each warm-up request (count, page, list columns) replayed one query at a time straight on MySQL;');
    console.log(` requests: completed of those planned, fewer when the ${budgetSeconds} s budget ran out)`);
    console.log(`Load average at the end: ${loadNow()} on ${cpus().length} CPUs (other work on the machine inflates every figure).`);

    console.log('\nQuery plans (EXPLAIN of the SQL the service ran, captured from TypeORM; `p` is patients):');
    for (const r of results) {
      console.log(`\n## ${r.label}  q=${JSON.stringify(r.example)}`);
      for (const plan of r.plans) {
        console.log(statementLabel(plan.sql));
        console.log(plan.sql);
        printExplain(plan.explain);
        if (plan.executed) {
          console.log(`  ANALYZE: ${plan.executed.patientRowsRead} patient rows read, ${plan.executed.pagesAccessed} pages, ${ms(plan.executed.totalMs)} ms`);
        }
        for (const finding of plan.findings) console.log(`  !! ${finding}`);
      }
    }

    const targeted = results.filter((r) => r.targeted);
    const misses = targeted.filter((r) => !passes(r));
    const scans = results.flatMap((r) =>
      r.plans.flatMap((p) => p.findings.filter((f) => /FULL|READ/.test(f)).map((f) => `${r.label}, ${isCountQuery(p.sql) ? 'count' : 'page'}: ${f}`)),
    );
    console.log(`\nCheck: every search's p95 ÷ the p95 of GET /api/auth/me (${ms(controlP95)} ms in this run) ≤ ${MAX_P95_RATIO}.`);
    if (patients < REFERENCE_PATIENTS) {
      console.log(
        `This run has ${patients.toLocaleString('en-US')} patients: the verdict is indicative; run with --patients ${REFERENCE_PATIENTS} for the real one.`,
      );
    }
    console.log(
      misses.length
        ? `Result: MISS (${misses.map((r) => `${r.label} p95 ${ms(r.p95)} ms, ratio ${ratioOf(r).toFixed(2)}`).join('; ')})`
        : `Result: PASS (highest ratio ${Math.max(...targeted.map(ratioOf)).toFixed(2)})`,
    );
    console.log(scans.length ? `Scans of the patients table:\n  ${[...new Set(scans)].join('\n  ')}` : 'No full or large scans of the patients table.');

    const failed = results.reduce((n, r) => n + r.failed, 0);
    const errors = results.flatMap((r) => r.errors.map((e) => `${r.label}: ${e}`));
    const noMatch = results.filter((r) => r.noMatch && r.targeted);
    if (noMatch.length) console.log(`Warning: searches for values that exist found nothing: ${noMatch.map((r) => `${r.label} ×${r.noMatch}`).join(', ')}`);
    if (failed) console.log(`${failed} requests failed; the first ones:\n  ${errors.slice(0, 20).join('\n  ')}`);

    if (jsonFile) {
      writeFileSync(
        jsonFile,
        JSON.stringify(
          {
            patients,
            practicePatients: maplePatients,
            requests,
            concurrency,
            server: db.server,
            machine: { cpus: cpus().length, node: process.versions.node, loadAverageAtEnd: loadavg() },
            load: dataset.load,
            maxP95RatioToAuthMe: MAX_P95_RATIO,
            authMeP95Ms: controlP95,
            results,
          },
          null,
          2,
        ),
      );
      console.log(`Results written to ${jsonFile}`);
    }
    if (keep) console.log(`\nDatabase kept: ${db.url}`);
    return failed || noMatch.length ? 1 : 0;
  } finally {
    await bench.close();
    if (bufferPoolMb) await setBufferPool(db, serverPoolMb);
    if (keep) await db.close();
    else await cleanUpDatabase();
  }
}

/** Resizes the server's buffer pool (a dynamic variable) and waits until the resize is done. */
async function setBufferPool(db: BenchDatabase, mb: number): Promise<void> {
  await db.sql.query('SET GLOBAL innodb_buffer_pool_size = ?', [Math.round(mb * 1024 * 1024)]);
  for (let i = 0; i < 600; i++) {
    const [rows] = await db.sql.query<import('mysql2').RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_resize_status'");
    const status = String(rows[0]?.Value ?? '');
    if (!status || /completed|finished/i.test(status)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    if (error instanceof BenchUsageError) console.error(`${error.message}\n\n${USAGE}`);
    else console.error(`Search benchmark failed: ${error.stack ?? error.message}`);
    process.exit(error instanceof BenchUsageError ? 2 : 1);
  },
);
