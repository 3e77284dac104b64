/**
 * npm run bench:reset [-- --resets 2000 --concurrency 16 --patients 2000]
 *
 * Resets through the HTTP API (the real server in a child process, on a fresh MariaDB database)
 * against the same transaction hand-written with mysql2 (the floor), and prints throughput,
 * latency percentiles and the ratio. Targets: >= 300 resets/s, p95 < 50 ms, >= 0.6 of the floor.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
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
import { LoadRequest, runHttpLoad } from './support/http-load';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const RESETS = arg('resets', 2000);
const CONCURRENCY = arg('concurrency', 16);
const PATIENTS = arg('patients', 2000);
const SERVER_URL = process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
const APP_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

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
    env: { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, PORT: String(port), APP_SECRET, SEED_DEMO: 'false', RUN_DISPATCHER: 'false', LOG_LEVEL: 'warn' },
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

/**
 * The reset transaction, statement for statement as the API sends it (see PatientDeskActionRunner,
 * PortalAccountResetService, RegistrationInvitationIssuer, AuditLogService), straight on mysql2:
 * what the database and the driver alone cost. Connections are READ COMMITTED per session, as the
 * API's are.
 */
async function floorReset(pool: mysql.Pool, practiceId: string, staffId: string, patientId: string): Promise<void> {
  // As UnitOfWork does: a deadlock victim is run again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await floorResetOnce(pool, practiceId, staffId, patientId);
    } catch (error) {
      if (attempt >= 3 || (error as { errno?: number }).errno !== 1213) throw error;
    }
  }
}

async function floorResetOnce(pool: mysql.Pool, practiceId: string, staffId: string, patientId: string): Promise<void> {
  const connection = await pool.getConnection();
  try {
    await connection.query('START TRANSACTION');
    const now = new Date();
    const [[state]] = (await connection.query(
      `SELECT p.*, a.id AS a_id, a.username AS a_username, a.status AS a_status, i.id AS i_id, i.expiresAt AS i_expiresAt,
         (SELECT COUNT(*) FROM password_reset_requests r WHERE r.patientId = p.id AND r.status = 'pending') AS pendingPasswordResets
       FROM patients p
       LEFT JOIN portal_accounts a ON a.patientId = p.id AND a.openMarker = 1
       LEFT JOIN registration_invitations i ON i.patientId = p.id AND i.pendingMarker = 1
       WHERE p.practiceId = ? AND p.id = ? FOR UPDATE`,
      [practiceId, patientId],
    )) as any;
    const [entriesBefore] = await connection.query('SELECT * FROM clinical_entries WHERE patientId = ? AND practiceId = ?', [patientId, practiceId]);
    const before = createHash('sha256').update(JSON.stringify([state.mrn, state.email, entriesBefore])).digest('hex');
    if (state.a_id) {
      await connection.query(
        "UPDATE portal_accounts SET status = 'closed', openMarker = NULL, closeReason = 'reset', closedAt = ?, passwordHash = NULL, securityQuestion = NULL, securityAnswerHash = NULL, updatedAt = ? WHERE id = ?",
        [now, now, state.a_id],
      );
      await connection.query('UPDATE portal_sessions SET revokedAt = ? WHERE portalAccountId = ? AND revokedAt IS NULL', [now, state.a_id]);
    }
    if (Number(state.pendingPasswordResets)) {
      await connection.query("UPDATE password_reset_requests SET status = 'revoked', revokedAt = ? WHERE patientId = ? AND practiceId = ? AND status = 'pending'", [now, patientId, practiceId]);
    }
    if (state.i_id) {
      await connection.query("UPDATE registration_invitations SET status = 'revoked', pendingMarker = NULL, revokedAt = ? WHERE id = ?", [now, state.i_id]);
    }
    const invitationId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await connection.query(
      'INSERT INTO registration_invitations (id, practiceId, patientId, tokenHash, pinHash, status, pendingMarker, sentTo, expiresAt, failedAttempts, verifiedAt, verifiedBy, usedAt, revokedAt, lockedAt, portalAccountId, createdByStaffId, createdAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [invitationId, practiceId, patientId, createHash('sha256').update(token).digest('hex'), createHmac('sha256', APP_SECRET).update(pin).digest('hex'), 'pending', 1, state.email, new Date(now.getTime() + 72 * 3600_000), 0, null, null, null, null, null, null, staffId, now],
    );
    await connection.query(
      'INSERT INTO outbox_messages (id, practiceId, patientId, channel, template, toAddress, subjectType, subjectId, sealedSecret, status, attempts, maxAttempts, nextAttemptAt, claimedUntil, lastError, subject, providerMessageId, sentAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [randomUUID(), practiceId, patientId, 'email', 'registration-email', state.email, 'registration_invitation', invitationId, token, 'queued', 0, 8, now, null, null, null, null, null, now, now],
    );
    const [chartAfter] = (await connection.query(
      'SELECT p.*, e.id AS e_id, e.kind AS e_kind, e.description AS e_description FROM patients p LEFT JOIN clinical_entries e ON e.patientId = p.id AND e.practiceId = p.practiceId WHERE p.id = ? AND p.practiceId = ?',
      [patientId, practiceId],
    )) as any;
    const after = createHash('sha256').update(JSON.stringify([chartAfter[0].mrn, chartAfter[0].email, entriesBefore])).digest('hex');
    if (after !== before) throw new Error('checksum changed');
    const [[head]] = (await connection.query('SELECT * FROM audit_chain_heads WHERE practiceId = ? FOR UPDATE', [practiceId])) as any;
    const seq = head.lastSeq + 1;
    const details = JSON.stringify({ before, after, invitationId });
    const hash = createHash('sha256').update(JSON.stringify([practiceId, seq, details, head.lastHash])).digest('hex');
    await connection.query(
      'INSERT INTO audit_events (id, practiceId, seq, action, actorType, actorId, actorName, patientId, reason, details, ip, userAgent, createdAt, hash, prevHash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [randomUUID(), practiceId, seq, 'portal.reset', 'staff', staffId, 'Bench', patientId, 'forgot_credentials', details, '127.0.0.1', 'bench', now, hash, head.lastHash],
    );
    await connection.query('UPDATE audit_chain_heads SET lastSeq = ?, lastHash = ? WHERE practiceId = ?', [seq, hash, practiceId]);
    await connection.query('COMMIT');
  } catch (error) {
    await connection.query('ROLLBACK');
    throw error;
  } finally {
    connection.release();
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
    let started: number;
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    server = null;

    const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: CONCURRENCY, timezone: 'Z', dateStrings: ['DATE'] });
    pool.pool.on('connection', (connection) => void connection.promise().query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
    const staffId = seedId('staff', 'desk@maplegrove.test');
    await runPool(targets.slice(0, 100), CONCURRENCY, (id) => floorReset(pool, practiceId, staffId, id));
    const floorLocks = await rowLockWaits(admin);
    started = performance.now();
    const floorLatencies = await runPool(targets, CONCURRENCY, (id) => floorReset(pool, practiceId, staffId, id));
    const floorSeconds = (performance.now() - started) / 1000;
    const floorLockWait = (await rowLockWaits(admin)).since(floorLocks);
    await pool.end();

    console.log('');
    const api = summary('HTTP API (NestJS)', apiLatencies, apiSeconds);
    const floor = summary('floor (mysql2 by hand)', floorLatencies, floorSeconds);
    const ratio = api.rate / floor.rate;
    console.log('');
    // Where the time goes: every audited change of a practice queues on its audit chain-head row.
    console.log(`row-lock wait per reset: API ${apiLockWait.toFixed(1)} ms, floor ${floorLockWait.toFixed(1)} ms (InnoDB, mostly the practice's audit chain head)`);
    if (apiCpuPerReset !== null) console.log(`API process CPU per reset: ${apiCpuPerReset.toFixed(2)} ms`);
    console.log(`load average: ${loadavg().map((n) => n.toFixed(2)).join(' ')} on ${cpus().length} cores`);
    console.log('');
    console.log(`failed requests: ${failures}`);
    for (const sample of failureSamples) console.log(`  ${sample}`);
    console.log(`ratio API/floor: ${ratio.toFixed(2)}`);
    console.log(`target >= 300 resets/s: ${api.rate >= 300 ? 'PASS' : 'MISS'} (${api.rate.toFixed(0)})`);
    console.log(`target p95 < 50 ms:     ${api.p95 < 50 ? 'PASS' : 'MISS'} (${api.p95.toFixed(1)} ms)`);
    console.log(`target ratio >= 0.6:    ${ratio >= 0.6 ? 'PASS' : 'MISS'} (${ratio.toFixed(2)})`);
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
