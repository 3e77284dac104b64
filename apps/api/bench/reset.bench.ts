/**
 * npm run bench:reset [-- --resets 2000 --concurrency 16 --patients 2000]
 *
 * Resets through the HTTP API (the real server in a child process, on a fresh MariaDB database)
 * against the same transaction hand-written with mysql2 (the floor), and prints throughput,
 * latency percentiles and the ratio. In between, the floor behind a bare node:http server shows
 * what HTTP alone costs on this machine: the ceiling any API's ratio can reach.
 * Check: API resets/s ÷ floor resets/s >= 0.6 (a ratio, so it compares across machines).
 */
import 'reflect-metadata';
import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../src/config/app-config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { seedDemo, seedId, DEMO_PASSWORD } from '../src/seed/demo-seed';
import { LoadRequest, LoadRun, runHttpLoad } from './support/http-load';
import { BENCH_APP_SECRET as APP_SECRET, createFloorPool, floorReset } from './support/reset-floor';
import { writeTestJwksFile } from '../test/support/oidc-keys-file';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RESETS = arg('resets', 2000);
const CONCURRENCY = arg('concurrency', 16);
const PATIENTS = arg('patients', 2000);
const SERVER_URL = process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(label: string, latencies: number[], seconds: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const rate = latencies.length / seconds;
  console.log(
    `${label.padEnd(22)} ${String(latencies.length).padStart(6)} resets in ${seconds.toFixed(2)} s = ${rate.toFixed(0).padStart(5)} resets/s   ` +
      `p50 ${percentile(sorted, 50).toFixed(1)} ms  p95 ${percentile(sorted, 95).toFixed(1)} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms`,
  );
  return { rate, p95: percentile(sorted, 95) };
}

async function runPool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++]!;
        const start = performance.now();
        await work(item);
        latencies.push(performance.now() - start);
      }
    }),
  );
  return latencies;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function startServer(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const nodeArgs = process.env.BENCH_SERVER_NODE_ARGS ? process.env.BENCH_SERVER_NODE_ARGS.split(' ') : [];
  const child = spawn(process.execPath, [...nodeArgs, join(__dirname, '../src/main.js')], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      APP_SECRET,
      OIDC_JWKS_FILE: writeTestJwksFile(),
      SEED_DEMO: 'false',
      RUN_DISPATCHER: 'false',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!output.includes('ResetDesk is running')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`The API did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url: `http://127.0.0.1:${port}` };
}

/** The floor's transaction behind a bare node:http server in a child process, loaded like the API. */
async function measureBareHttpFloor(
  databaseUrl: string,
  practiceId: string,
  staffId: string,
  targets: string[],
): Promise<{ run: LoadRun; cpuPerReset: number | null; failures: number }> {
  const child = fork(join(__dirname, 'support/floor-http-server.js'), [], {
    env: { ...process.env, FLOOR_DATABASE_URL: databaseUrl, FLOOR_PRACTICE_ID: practiceId, FLOOR_STAFF_ID: staffId, FLOOR_CONCURRENCY: String(CONCURRENCY) },
  });
  try {
    const [port] = (await once(child, 'message')) as [number];
    const url = `http://127.0.0.1:${port}`;
    const request = (id: string): LoadRequest => ({
      method: 'POST',
      path: `/api/patients/${id}/portal-reset`,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await runHttpLoad(url, targets.slice(0, 100).map(request), { concurrency: CONCURRENCY });
    let failures = 0;
    const cpuBefore = processCpuMs(child.pid);
    const run = await runHttpLoad(url, targets.map(request), {
      concurrency: CONCURRENCY,
      onResponse: (response) => void (response.status === 201 || failures++),
    });
    const cpuPerReset = cpuBefore === null ? null : (processCpuMs(child.pid)! - cpuBefore) / targets.length;
    return { run, cpuPerReset, failures: failures + run.errors.length };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

/** InnoDB's running total of time spent waiting for row locks, for a per-reset average over a phase. */
async function rowLockWaits(admin: mysql.Connection): Promise<{ since(before: { totalMs: number }): number; totalMs: number }> {
  const [rows] = await admin.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_time'");
  const totalMs = Number(rows[0]?.Value ?? 0);
  return { totalMs, since: (before) => (totalMs - before.totalMs) / RESETS };
}

/** CPU time (user + system) a process has used, from /proc; null where there is no /proc. */
function processCpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const dbName = `rd_bench_reset_${randomBytes(3).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: SERVER_URL });
  await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const databaseUrl = `${SERVER_URL.replace(/\/$/, '')}/${dbName}`;
  let server: { child: ChildProcess; url: string } | null = null;
  try {
    console.log(`bench:reset — ${RESETS} resets at ${CONCURRENCY} concurrent, ${PATIENTS} patients per practice, database ${dbName}`);
    const dataSource = await new DataSource(buildDataSourceOptions(parseDatabaseUrl(databaseUrl))).initialize();
    await dataSource.runMigrations({ transaction: 'each' });
    await seedDemo(dataSource, { patientsPerPractice: PATIENTS });
    const practiceId = seedId('practice', 'maple-grove');
    const rows: { id: string }[] = await dataSource.query('SELECT id FROM patients WHERE practiceId = ? AND email IS NOT NULL ORDER BY mrn', [practiceId]);
    const patientIds = rows.map((r) => r.id);
    await dataSource.destroy();
    const targets = Array.from({ length: RESETS }, (_, i) => patientIds[i % patientIds.length]!);

    server = await startServer(databaseUrl);
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'desk@maplegrove.test', password: DEMO_PASSWORD }),
    });
    const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0]!);
    const csrf = cookies.find((c) => c.startsWith('rd_csrf='))!.slice(8);
    const headers = { 'content-type': 'application/json', cookie: cookies.join('; '), 'x-csrf-token': csrf };
    const body = JSON.stringify({ reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' });

    const resetRequest = (id: string): LoadRequest => ({ method: 'POST', path: `/api/patients/${id}/portal-reset`, headers, body });
    // Warm up connections and JIT before measuring.
    const apiRun0 = await runHttpLoad(server.url, targets.slice(0, 100).map(resetRequest), { concurrency: CONCURRENCY });
    let failures = 0;
    const failureSamples: string[] = [...apiRun0.errors];
    const apiLocks = await rowLockWaits(admin);
    const apiCpu = processCpuMs(server.child.pid);
    const apiRun = await runHttpLoad(server.url, targets.map(resetRequest), {
      concurrency: CONCURRENCY,
      onResponse: (response) => {
        if (response.status === 201) return;
        failures++;
        if (failureSamples.length < 5) failureSamples.push(`${response.status} ${response.body.slice(0, 300)}`);
      },
    });
    failures += apiRun.errors.length;
    failureSamples.push(...apiRun.errors.slice(0, 5));
    const apiLatencies = apiRun.latencies;
    const apiSeconds = apiRun.wallSeconds;
    const apiCpuPerReset = apiCpu === null ? null : (processCpuMs(server.child.pid)! - apiCpu) / RESETS;
    const apiLockWait = (await rowLockWaits(admin)).since(apiLocks);
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    server = null;

    const staffId = seedId('staff', 'desk@maplegrove.test');
    const bare = await measureBareHttpFloor(databaseUrl, practiceId, staffId, targets);
    const pool = createFloorPool(databaseUrl, CONCURRENCY);
    await runPool(targets.slice(0, 100), CONCURRENCY, (id) => floorReset(pool, practiceId, staffId, id));
    const floorLocks = await rowLockWaits(admin);
    const started = performance.now();
    const floorLatencies = await runPool(targets, CONCURRENCY, (id) => floorReset(pool, practiceId, staffId, id));
    const floorSeconds = (performance.now() - started) / 1000;
    const floorLockWait = (await rowLockWaits(admin)).since(floorLocks);
    await pool.end();

    console.log('');
    const api = summary('HTTP API (NestJS)', apiLatencies, apiSeconds);
    const bareRun = summary('floor over bare node:http', bare.run.latencies, bare.run.wallSeconds);
    const floor = summary('floor (mysql2 by hand)', floorLatencies, floorSeconds);
    const ratio = api.rate / floor.rate;
    console.log('');
    // Where the time goes: every audited change of a practice queues on its audit chain-head row.
    console.log(
      `row-lock wait per reset: API ${apiLockWait.toFixed(1)} ms, floor ${floorLockWait.toFixed(1)} ms (InnoDB, mostly the practice's audit chain head)`,
    );
    if (apiCpuPerReset !== null) console.log(`API process CPU per reset: ${apiCpuPerReset.toFixed(2)} ms`);
    if (bare.cpuPerReset !== null) console.log(`bare node:http server CPU per reset: ${bare.cpuPerReset.toFixed(2)} ms`);
    // The most any HTTP server reaches here: the transport's own cost on a machine the load
    // client and MariaDB share.
    console.log(`ratio bare node:http/floor: ${(bareRun.rate / floor.rate).toFixed(2)} (the ceiling for any HTTP API on this machine)`);
    failures += bare.failures;
    console.log(
      `load average: ${loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')} on ${cpus().length} cores`,
    );
    console.log('');
    console.log(`failed requests: ${failures}`);
    for (const sample of failureSamples) console.log(`  ${sample}`);
    console.log(`ratio API/floor: ${ratio.toFixed(2)}`);
    console.log(`check API ÷ floor >= 0.6: ${ratio >= 0.6 ? 'PASS' : 'MISS'} (${ratio.toFixed(2)})`);
  } finally {
    server?.child.kill('SIGTERM');
    if (!args.includes('--keep')) await admin.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
    await admin.end();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
