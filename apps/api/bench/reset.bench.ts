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
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { parseDatabaseUrl } from '../src/config/app-config';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { seedDemo, seedId, DEMO_PASSWORD } from '../src/seed/demo-seed';

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

/** The reset transaction, statement for statement, straight on mysql2: what the database alone costs. */
async function floorReset(pool: mysql.Pool, practiceId: string, staffId: string, patientId: string): Promise<void> {
  const connection = await pool.getConnection();
  try {
    await connection.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await connection.beginTransaction();
    const now = new Date();
    const [[patient]] = (await connection.query('SELECT * FROM patients WHERE practiceId = ? AND id = ? FOR UPDATE', [practiceId, patientId])) as any;
    const checksum = async () => {
      const [entries] = await connection.query('SELECT * FROM clinical_entries WHERE patientId = ? AND practiceId = ?', [patientId, practiceId]);
      const [[row]] = (await connection.query('SELECT * FROM patients WHERE id = ?', [patientId])) as any;
      return createHash('sha256').update(JSON.stringify([row, entries])).digest('hex');
    };
    const before = await checksum();
    const [[account]] = (await connection.query('SELECT * FROM portal_accounts WHERE patientId = ? AND practiceId = ? AND openMarker = 1', [patientId, practiceId])) as any;
    await connection.query("SELECT 1 FROM registration_invitations WHERE patientId = ? AND practiceId = ? AND status = 'pending' LIMIT 1", [patientId, practiceId]);
    if (account) {
      await connection.query(
        "UPDATE portal_accounts SET status = 'closed', openMarker = NULL, closeReason = 'reset', closedAt = ?, passwordHash = NULL, securityQuestion = NULL, securityAnswerHash = NULL, updatedAt = ? WHERE id = ?",
        [now, now, account.id],
      );
      await connection.query('UPDATE portal_sessions SET revokedAt = ? WHERE portalAccountId = ? AND revokedAt IS NULL', [now, account.id]);
    }
    await connection.query("UPDATE password_reset_requests SET status = 'revoked', revokedAt = ? WHERE patientId = ? AND practiceId = ? AND status = 'pending'", [now, patientId, practiceId]);
    const [pending] = (await connection.query("SELECT id FROM registration_invitations WHERE patientId = ? AND practiceId = ? AND status = 'pending'", [patientId, practiceId])) as any;
    if (pending.length) {
      await connection.query("UPDATE registration_invitations SET status = 'revoked', pendingMarker = NULL, revokedAt = ? WHERE id IN (?)", [now, pending.map((r: { id: string }) => r.id)]);
    }
    const invitationId = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const pin = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await connection.query(
      "INSERT INTO registration_invitations (id, practiceId, patientId, tokenHash, pinHash, status, pendingMarker, sentTo, expiresAt, failedAttempts, createdByStaffId, createdAt) VALUES (?, ?, ?, ?, ?, 'pending', 1, ?, ?, 0, ?, ?)",
      [invitationId, practiceId, patientId, createHash('sha256').update(token).digest('hex'), createHmac('sha256', APP_SECRET).update(pin).digest('hex'), patient.email, new Date(now.getTime() + 72 * 3600_000), staffId, now],
    );
    await connection.query(
      "INSERT INTO outbox_messages (id, practiceId, patientId, channel, template, toAddress, subjectType, subjectId, sealedSecret, status, attempts, maxAttempts, nextAttemptAt, createdAt, updatedAt) VALUES (?, ?, ?, 'email', 'registration-email', ?, 'registration_invitation', ?, ?, 'queued', 0, 8, ?, ?, ?)",
      [randomUUID(), practiceId, patientId, patient.email, invitationId, token, now, now, now],
    );
    const after = await checksum();
    if (after !== before) throw new Error('checksum changed');
    const [[head]] = (await connection.query('SELECT * FROM audit_chain_heads WHERE practiceId = ? FOR UPDATE', [practiceId])) as any;
    const seq = head.lastSeq + 1;
    const details = JSON.stringify({ before, after, invitationId });
    const hash = createHash('sha256').update(JSON.stringify([practiceId, seq, details, head.lastHash])).digest('hex');
    await connection.query(
      "INSERT INTO audit_events (id, practiceId, seq, action, actorType, actorId, actorName, patientId, reason, details, ip, userAgent, createdAt, hash, prevHash) VALUES (?, ?, ?, 'portal.reset', 'staff', ?, 'Bench', ?, 'forgot_credentials', ?, '127.0.0.1', 'bench', ?, ?, ?)",
      [randomUUID(), practiceId, seq, staffId, patientId, details, now, hash, head.lastHash],
    );
    await connection.query('UPDATE audit_chain_heads SET lastSeq = ?, lastHash = ? WHERE practiceId = ?', [seq, hash, practiceId]);
    await connection.commit();
  } catch (error) {
    await connection.rollback();
    throw error;
  } finally {
    connection.release();
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

    // Warm up connections and JIT before measuring.
    await runPool(targets.slice(0, 100), CONCURRENCY, async (id) => {
      await (await fetch(`${server!.url}/api/patients/${id}/portal-reset`, { method: 'POST', headers, body })).arrayBuffer();
    });
    let failures = 0;
    let started = performance.now();
    const apiLatencies = await runPool(targets, CONCURRENCY, async (id) => {
      const response = await fetch(`${server!.url}/api/patients/${id}/portal-reset`, { method: 'POST', headers, body });
      await response.arrayBuffer();
      if (response.status !== 201) failures++;
    });
    const apiSeconds = (performance.now() - started) / 1000;
    server.child.kill('SIGTERM');
    await once(server.child, 'exit');
    server = null;

    const pool = mysql.createPool({ uri: databaseUrl, connectionLimit: CONCURRENCY, timezone: 'Z', dateStrings: ['DATE'] });
    const staffId = seedId('staff', 'desk@maplegrove.test');
    await runPool(targets.slice(0, 100), CONCURRENCY, (id) => floorReset(pool, practiceId, staffId, id));
    started = performance.now();
    const floorLatencies = await runPool(targets, CONCURRENCY, (id) => floorReset(pool, practiceId, staffId, id));
    const floorSeconds = (performance.now() - started) / 1000;
    await pool.end();

    console.log('');
    const api = summary('HTTP API (NestJS)', apiLatencies, apiSeconds);
    const floor = summary('floor (mysql2 by hand)', floorLatencies, floorSeconds);
    const ratio = api.rate / floor.rate;
    console.log('');
    console.log(`failed requests: ${failures}`);
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
