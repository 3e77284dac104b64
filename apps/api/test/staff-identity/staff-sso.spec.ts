import assert from 'node:assert/strict';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { OidcBrowser } from '../oidc/oidc-fixtures';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { addStaffUser } from '../support/staff-fixtures';
import { freePort } from '../support/free-port';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

interface Person {
  email: string;
  name: string;
  groups: string[] | string;
  amr: string[];
}

/** The clinic's identity provider: oidc-provider with a one-line login page that signs in `next`. */
async function startIdentityProvider(redirectUri: string): Promise<{ issuer: string; server: Server; next: { person: Person | null } }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Provider = require('oidc-provider').default ?? require('oidc-provider');
  const next: { person: Person | null } = { person: null };
  const people = new Map<string, Person>();
  // eslint-disable-next-line prefer-const -- assigned once the port is known, after the handler that reads it
  let provider: any;
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      const person = next.person!;
      people.set(person.email, person);
      void provider.interactionFinished(req, res, { login: { accountId: person.email, amr: person.amr } }, { mergeWithLastSubmission: false });
      return;
    }
    provider.callback()(req, res);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider = new Provider(issuer, {
    clients: [
      { client_id: 'resetdesk', client_secret: 'idp-secret-for-resetdesk', redirect_uris: [redirectUri], token_endpoint_auth_method: 'client_secret_post' },
    ],
    claims: { openid: ['sub', 'amr'], email: ['email'], profile: ['name', 'groups'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // The clinic already trusts ResetDesk: no consent page.
    async loadExistingGrant(ctx: any) {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
    async findAccount(_ctx: unknown, sub: string) {
      const person = people.get(sub);
      if (!person) return undefined;
      return { accountId: sub, claims: async () => ({ sub, email: person.email, name: person.name, groups: person.groups }) };
    },
  });
  return { issuer, server, next };
}

describe('staff single sign-on through the clinic identity provider', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let idp: Awaited<ReturnType<typeof startIdentityProvider>>;

  before(async () => {
    const port = await freePort();
    idp = await startIdentityProvider(`http://127.0.0.1:${port}/api/auth/sso/callback`);
    t = await startTestApp({
      port,
      seedPatients: 1,
      env: {
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        STAFF_OIDC_ISSUER: idp.issuer,
        STAFF_OIDC_CLIENT_ID: 'resetdesk',
        STAFF_OIDC_CLIENT_SECRET: 'idp-secret-for-resetdesk',
        STAFF_OIDC_PRACTICE: 'Maple Grove Family Medicine',
        STAFF_OIDC_ADMIN_VALUES: 'rd-admins',
        STAFF_OIDC_DESK_VALUES: 'rd-desk, front-office',
      },
    });
  });
  after(async () => {
    await t?.close();
    idp?.server.closeAllConnections();
    await new Promise((closed) => idp?.server.close(closed));
  });

  const setStaffMfa = (value: 'required' | 'optional') => t.dataSource.query('UPDATE practices SET staffMfa = ? WHERE id = ?', [value, MAPLE_GROVE_ID]);

  /** Start at ResetDesk, sign in at the identity provider as `person`, and come back: the callback's answer. */
  async function signInAs(person: Person): Promise<{ browser: OidcBrowser; location: string }> {
    const browser = new OidcBrowser();
    const start = await browser.get(`${t.url}/api/auth/sso/start`);
    assert.equal(start.status, 302);
    assert.ok(start.location!.startsWith(`${idp.issuer}/`), start.location);
    const authorize = new URL(start.location!);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorize.searchParams.get('state') && authorize.searchParams.get('nonce'));
    idp.next.person = person;
    const back = await browser.follow(await browser.get(start.location!), idp.issuer);
    assert.ok(back.location?.startsWith(`${t.url}/api/auth/sso/callback?`), `back at ResetDesk: ${back.status} ${back.location} ${back.text.slice(0, 200)}`);
    const answer = await browser.get(back.location!);
    assert.equal(answer.status, 302);
    return { browser, location: answer.location! };
  }

  async function me(browser: OidcBrowser) {
    const response = await fetch(`${t.url}/api/auth/me`, { headers: { cookie: `rd_session=${browser.cookies.get('rd_session') ?? ''}` } });
    return { status: response.status, body: response.status === 200 ? await response.json() : null };
  }

  it('tells the console single sign-on is on', async () => {
    const response = await fetch(`${t.url}/api/auth/sso`);
    assert.deepEqual(await response.json(), { enabled: true });
  });

  it('a first sign-in creates the admin in the configured practice; the next one reuses the account; both are audited as sso', async () => {
    await setStaffMfa('optional');
    const person = { email: 'Nadia.Admin@maplegrove.test', name: 'Nadia Admin', groups: ['everyone', 'rd-admins', 'rd-desk'], amr: ['pwd'] };
    const first = await signInAs(person);
    assert.equal(first.location, '/');
    const signedIn = await me(first.browser);
    assert.equal(signedIn.status, 200);
    assert.equal((signedIn.body as any).email, 'nadia.admin@maplegrove.test');
    assert.equal((signedIn.body as any).role, 'practice_admin', 'the admin value wins over the desk value');
    assert.equal((signedIn.body as any).practiceId, MAPLE_GROVE_ID);

    const second = await signInAs(person);
    assert.equal(second.location, '/');
    const rows = await t.dataSource.query('SELECT id, passwordHash FROM staff_users WHERE email = ?', ['nadia.admin@maplegrove.test']);
    assert.equal(rows.length, 1, 'the second sign-in reuses the account');
    assert.ok(!rows[0].passwordHash.startsWith('$argon2'), 'no usable password');
    const logins = await t.dataSource.query("SELECT details FROM audit_events WHERE action = 'staff.login' AND actorId = ?", [rows[0].id]);
    assert.equal(logins.length, 2);
    for (const login of logins) assert.equal((typeof login.details === 'string' ? JSON.parse(login.details) : login.details).method, 'sso');
  });

  it('a desk value (a single string claim too) maps to front desk', async () => {
    await setStaffMfa('optional');
    const { browser, location } = await signInAs({ email: 'omar.desk@maplegrove.test', name: 'Omar Desk', groups: 'front-office', amr: ['pwd'] });
    assert.equal(location, '/');
    assert.equal(((await me(browser)).body as any).role, 'front_desk');
  });

  it('refuses a person whose groups map to no role, creating nothing', async () => {
    const { browser, location } = await signInAs({ email: 'visitor@maplegrove.test', name: 'Visitor', groups: ['everyone'], amr: ['pwd'] });
    assert.equal(location, '/#/login?sso_error=no_role');
    assert.equal(browser.cookies.has('rd_session'), false);
    assert.equal((await t.dataSource.query('SELECT id FROM staff_users WHERE email = ?', ['visitor@maplegrove.test'])).length, 0);
  });

  it('refuses a deactivated staff user and audits the refusal', async () => {
    const gone = await addStaffUser(t.dataSource, { email: 'gone@maplegrove.test', active: false });
    const { browser, location } = await signInAs({ email: 'gone@maplegrove.test', name: 'Gone', groups: ['rd-desk'], amr: ['pwd', 'mfa'] });
    assert.equal(location, '/#/login?sso_error=inactive');
    assert.equal(browser.cookies.has('rd_session'), false);
    const failures = await t.dataSource.query("SELECT details FROM audit_events WHERE action = 'staff.login_failed' AND actorId = ?", [gone.id]);
    assert.equal(failures.length, 1);
  });

  it('refuses a callback whose state is not the one this browser started with', async () => {
    const browser = new OidcBrowser();
    await browser.get(`${t.url}/api/auth/sso/start`);
    const forged = await browser.get(`${t.url}/api/auth/sso/callback?code=abc&state=forged-state`);
    assert.equal(forged.location, '/#/login?sso_error=bad_state');
    const stranger = await new OidcBrowser().get(`${t.url}/api/auth/sso/callback?code=abc&state=forged-state`);
    assert.equal(stranger.location, '/#/login?sso_error=bad_state');
    assert.equal(browser.cookies.has('rd_session') || browser.cookies.has('rd_mfa'), false);
  });

  it('in a practice requiring two-step sign-in, an identity provider that did multi-factor is enough; otherwise the second step follows', async () => {
    await setStaffMfa('required');
    const withMfa = await signInAs({ email: 'mfa.person@maplegrove.test', name: 'Mfa Person', groups: ['rd-desk'], amr: ['pwd', 'otp'] });
    assert.equal(withMfa.location, '/');
    assert.equal((await me(withMfa.browser)).status, 200);

    const without = await signInAs({ email: 'single.factor@maplegrove.test', name: 'Single Factor', groups: ['rd-desk'], amr: ['pwd'] });
    assert.match(without.location, /^\/#\/login\?sso_mfa=1/);
    assert.equal(without.browser.cookies.has('rd_session'), false, 'no session before the second step');
    assert.ok(without.browser.cookies.has('rd_mfa'), 'the pending sign-in continues with the second step');
    const challenges = await t.dataSource.query(
      'SELECT c.method, c.enrolmentRequired FROM staff_mfa_challenges c JOIN staff_users u ON u.id = c.staffUserId WHERE u.email = ?',
      ['single.factor@maplegrove.test'],
    );
    assert.equal(challenges.length, 1);
    assert.equal(challenges[0].method, 'sso');
  });
});

describe('single sign-on configuration', () => {
  it('is off without STAFF_OIDC_* and refuses a partial set, naming what is missing', () => {
    const base = { NODE_ENV: 'test', DATABASE_URL: 'mysql://root@127.0.0.1:3306/x', DATA_DIR: '/tmp' };
    assert.equal(loadConfig(base).staffSso, null);
    assert.throws(
      () => loadConfig({ ...base, STAFF_OIDC_ISSUER: 'https://idp.example', STAFF_OIDC_CLIENT_ID: 'rd' }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /STAFF_OIDC_CLIENT_SECRET/);
        assert.match(error.message, /STAFF_OIDC_PRACTICE/);
        return true;
      },
    );
    const full = loadConfig({
      ...base,
      STAFF_OIDC_ISSUER: 'https://idp.example',
      STAFF_OIDC_CLIENT_ID: 'rd',
      STAFF_OIDC_CLIENT_SECRET: 's',
      STAFF_OIDC_PRACTICE: 'p',
      STAFF_OIDC_DESK_VALUES: 'a, b',
    });
    assert.deepEqual(full.staffSso?.deskValues, ['a', 'b']);
    assert.equal(full.staffSso?.roleClaim, 'groups');
  });
});
