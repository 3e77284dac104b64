import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/free-port';
import { DEMO_LOGINS, DEMO_PASSWORD } from '../../src/seed/demo-seed';

const MAIN = resolve(__dirname, '../../src/main.js');
const STARTUP_TIMEOUT_MS = 120_000;

/** Variables the test runner or an operator may have set that would steer the app off its defaults. */
const STEERING_VARIABLES = [
  'NODE_ENV',
  'DATABASE_URL',
  'APP_SECRET',
  'DATA_DIR',
  'PORT',
  'PUBLIC_URL',
  'SMTP_URL',
  'SMS_WEBHOOK_URL',
  'SEED_DEMO',
  'RUN_DISPATCHER',
  'CONSOLE_DIR',
  'LOG_LEVEL',
  'MAIL_FROM',
  'INVITATION_TTL_HOURS',
  'SESSION_IDLE_MINUTES',
  'SESSION_ABSOLUTE_HOURS',
];

interface RunningApp {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `npm start` minus the build: node dist/src/main.js in a fresh directory, nothing configured but the port. */
async function startMain(cwd: string, port: number): Promise<RunningApp> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  for (const name of STEERING_VARIABLES) if (name !== 'PORT') delete env[name];
  const child = spawn(process.execPath, [MAIN], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!output.includes('ResetDesk is running at')) {
    if (child.exitCode !== null) throw new Error(`main.js exited with ${child.exitCode} before starting:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`main.js did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // The banner is one write; give it a moment to arrive whole.
  await new Promise((r) => setTimeout(r, 100));
  return {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

describe('npm start with no configuration (embedded SQLite, demo data)', () => {
  let cwd: string;
  let port: number;
  let app: RunningApp;
  let base: string;

  const signIn = async (email: string) => {
    const response = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, password: DEMO_PASSWORD }),
    });
    assert.equal(response.status, 200, `${email} signs in`);
    const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]!);
    return { cookie: cookies.join('; '), cookies };
  };
  const get = (path: string, cookie?: string) => fetch(`${base}${path}`, { headers: cookie ? { Cookie: cookie } : {} });

  before(async () => {
    assert.ok(existsSync(MAIN), `${MAIN} is built`);
    cwd = mkdtempSync(join(tmpdir(), 'resetdesk-start-'));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    app = await startMain(cwd, port);
  });
  after(async () => {
    await app?.stop();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it('prints where it runs, the SQLite file, and the demo logins', () => {
    const output = app.output();
    assert.match(output, new RegExp(`ResetDesk is running at http://localhost:${port}`));
    assert.match(output, new RegExp(`API docs:\\s+http://localhost:${port}/api/docs`));
    assert.ok(output.includes(`SQLite ${join(cwd, 'data', 'resetdesk.sqlite')}`), 'the database line names data/resetdesk.sqlite');
    assert.match(output, /\(demo data loaded\)/);
    assert.ok(output.includes(DEMO_PASSWORD), 'the demo password is printed');
    for (const login of DEMO_LOGINS) assert.match(output, new RegExp(`${login.email.replace(/\./g, '\\.')}\\s+${login.role}`));
    assert.ok(existsSync(join(cwd, 'data', 'resetdesk.sqlite')));
    assert.ok(existsSync(join(cwd, 'data', 'app-secret')), 'development generates APP_SECRET into data/');
  });

  it('answers health and serves the API docs', async () => {
    const health = await get('/api/health');
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', db: 'up' });
    const docs = await get('/api/docs');
    assert.equal(docs.status, 200);
    assert.match(docs.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await docs.text(), /swagger/i);
  });

  it('signs in as the Maple Grove desk and lists its demo patients', async () => {
    const { cookie } = await signIn('desk@maplegrove.test');
    const list = await get('/api/patients?range=[0,24]&sort=["lastName","ASC"]', cookie);
    assert.equal(list.status, 200);
    const contentRange = list.headers.get('content-range') ?? '';
    const match = /^patients 0-24\/(\d+)$/.exec(contentRange);
    assert.ok(match, `Content-Range: ${contentRange}`);
    assert.ok(Number(match[1]) >= 200, `at least 200 patients, got ${match[1]}`);
    const items = (await list.json()) as { lastName: string }[];
    assert.equal(items.length, 25);
  });

  it('answers a Riverside patient id with 404 to Maple Grove staff', async () => {
    const riverside = await signIn('desk@riverside.test');
    const [theirs] = (await (await get('/api/patients?range=[0,0]', riverside.cookie)).json()) as { id: string }[];
    assert.ok(theirs);
    assert.equal((await get(`/api/patients/${theirs.id}`, riverside.cookie)).status, 200);

    const maple = await signIn('desk@maplegrove.test');
    const probe = await get(`/api/patients/${theirs.id}`, maple.cookie);
    assert.equal(probe.status, 404);
    assert.deepEqual(await probe.json(), { statusCode: 404, error: 'Not Found', message: 'That patient was not found.', code: 'not_found' });
  });

  it('runs the desk actions on SQLite too: reset, resend and unlock leave the chart alone and the audit chain valid', async () => {
    const desk = await signIn('desk@maplegrove.test');
    const csrf = desk.cookies.find((c) => c.startsWith('rd_csrf='))!.slice('rd_csrf='.length);
    const post = (path: string, body: unknown = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { Cookie: desk.cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const firstWith = async (portalStatus: string) => {
      const [patient] = (await (await get(`/api/patients?range=[0,0]&filter=${encodeURIComponent(JSON.stringify({ portalStatus }))}`, desk.cookie)).json()) as {
        id: string;
      }[];
      assert.ok(patient, `the demo data has a patient whose portal is ${portalStatus}`);
      return patient.id;
    };

    const active = await firstWith('active');
    const reset = await post(`/api/patients/${active}/portal-reset`, { reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' });
    assert.equal(reset.status, 201, await reset.clone().text());
    const result = (await reset.json()) as {
      retiredUsername: string | null;
      chartChecksumBefore: string;
      chartChecksumAfter: string;
      invitation: { pin: string; expiresAt: string };
    };
    assert.ok(result.retiredUsername, 'the active account was closed and its username retired');
    assert.match(result.invitation.pin, /^\d{6}$/);
    assert.equal(result.chartChecksumAfter, result.chartChecksumBefore);
    assert.ok(Date.parse(result.invitation.expiresAt) > Date.now());
    const after = (await (await get(`/api/patients/${active}`, desk.cookie)).json()) as {
      portalAccount: unknown;
      invitation: { status: string };
      chartChecksum: string;
    };
    assert.equal(after.portalAccount, null);
    assert.equal(after.invitation.status, 'pending');
    assert.equal(after.chartChecksum, result.chartChecksumBefore, 'the chart view computes the same checksum');

    const resend = await post(`/api/patients/${active}/invitation/resend`);
    assert.equal(resend.status, 201, await resend.clone().text());
    const locked = await firstWith('locked');
    const unlock = await post(`/api/patients/${locked}/portal-unlock`);
    assert.equal(unlock.status, 200, await unlock.clone().text());
    assert.equal(((await unlock.json()) as { portalAccount: { status: string } }).portalAccount.status, 'active');

    const admin = await signIn('admin@maplegrove.test');
    const verify = await get('/api/audit-events/verify', admin.cookie);
    assert.equal(verify.status, 200);
    assert.equal(((await verify.json()) as { valid: boolean }).valid, true);
  });

  it('never writes a session token or CSRF token to its output', async () => {
    const { cookies, cookie } = await signIn('admin@maplegrove.test');
    await get('/api/auth/me', cookie);
    await get('/api/patients', cookie);
    for (const value of cookies.map((c) => c.slice(c.indexOf('=') + 1))) {
      assert.ok(value.length >= 32);
      assert.ok(!app.output().includes(value), 'a cookie value appears in the logs');
    }
  });

  it('restarts on the same data without seeding again, and sessions survive the restart', async () => {
    const { cookie } = await signIn('desk@maplegrove.test');
    const before = (await get('/api/patients?range=[0,0]', cookie)).headers.get('content-range');
    await app.stop();

    app = await startMain(cwd, port);
    assert.doesNotMatch(app.output(), /demo data loaded/);
    const me = await get('/api/auth/me', cookie);
    assert.equal(me.status, 200, 'the generated APP_SECRET and the session row persisted');
    assert.equal((await get('/api/patients?range=[0,0]', cookie)).headers.get('content-range'), before);
  });
});
