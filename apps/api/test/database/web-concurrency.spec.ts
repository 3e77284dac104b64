import assert from 'node:assert/strict';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/free-port';
import { writeTestJwksFile } from '../support/oidc-keys-file';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';
import { TestDatabase, createTestDatabase } from '../support/test-database';
import { TEST_APP_SECRET, mysqlSkip } from '../support/test-env';

const MAIN = resolve(__dirname, '../../src/main.js');

/** The API processes the primary has forked right now. */
function workerPids(primary: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primary)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('WEB_CONCURRENCY: several API processes on one port (MySQL)', { skip: mysqlSkip }, () => {
  let db: TestDatabase;
  let child: ChildProcess;
  let output = '';
  let base: string;

  before(async () => {
    db = await createTestDatabase('cluster');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [MAIN], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL: db.url,
        PORT: String(port),
        APP_SECRET: TEST_APP_SECRET,
        OIDC_JWKS_FILE: writeTestJwksFile(),
        SEED_DEMO: 'true',
        WEB_CONCURRENCY: '2',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await eventually(() => output.includes('ResetDesk is running at') || child.exitCode !== null, 'the banner is printed', 120_000);
    assert.equal(child.exitCode, null, output);
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      for (const pid of workerPids(child.pid!)) process.kill(pid, 'SIGKILL');
    }
    await db?.drop();
  });

  it('migrates and seeds once in the primary, then prints one banner naming the process count', async () => {
    assert.equal(output.match(/ResetDesk is running at/g)?.length, 1, output);
    assert.match(output, /Processes: 2 \(WEB_CONCURRENCY\)/);
    assert.match(output, /\(demo data loaded\)/);
    const [[practices]] = (await db.admin.query(`SELECT COUNT(*) AS n FROM \`${db.name}\`.practices`)) as [{ n: number }[], unknown];
    assert.equal(Number(practices!.n), 2, 'the demo practices were seeded exactly once');
    assert.equal(workerPids(child.pid!).length, 2);
  });

  it('serves signed-in staff from any process: a session made by one is honoured by the others', async () => {
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Connection: 'close' },
      body: JSON.stringify({ email: 'desk@maplegrove.test', password: DEMO_PASSWORD }),
    });
    assert.equal(login.status, 200);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    // New connections are spread over the processes; sessions live in the database, so all agree.
    for (let i = 0; i < 10; i++) {
      const me = await fetch(`${base}/api/auth/me`, { headers: { Cookie: cookie, Connection: 'close' } });
      assert.equal(me.status, 200);
    }
  });

  it('replaces a process that dies, and keeps answering meanwhile', async () => {
    const [victim] = workerPids(child.pid!);
    process.kill(victim!, 'SIGKILL');
    await eventually(() => output.includes(`ResetDesk worker ${victim} stopped`), 'the primary notices');
    const health = await fetch(`${base}/api/health`, { headers: { Connection: 'close' } });
    assert.equal(health.status, 200);
    await eventually(() => workerPids(child.pid!).filter((pid) => pid !== victim).length === 2, 'a new process takes its place');
    await eventually(async () => (await fetch(`${base}/api/health`, { headers: { Connection: 'close' } })).status === 200, 'the new process answers');
  });

  it('stops every process on SIGTERM', async () => {
    const workers = workerPids(child.pid!);
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await eventually(() => workers.every((pid) => !isAlive(pid)), 'the workers are gone', 15_000);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
