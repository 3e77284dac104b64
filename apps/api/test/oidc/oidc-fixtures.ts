import assert from 'node:assert/strict';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { Patient } from '../../src/patients/patient.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { freePort } from '../support/free-port';
import { StaffClient } from '../support/staff-client';
import { startTestApp, TestApp, TestAppOptions } from '../support/test-app';

export const SCOPE = 'openid profile email offline_access';

/** The app listening where its PUBLIC_URL says, so the issuer in discovery is the address the tests call. */
export async function startOidcTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const port = await freePort();
  return startTestApp({ ...options, port, env: { PUBLIC_URL: `http://127.0.0.1:${port}`, ...options.env } });
}

export interface RegisteredApp {
  id: string;
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
}

export async function registerApp(admin: StaffClient, body: Record<string, unknown> = {}): Promise<RegisteredApp> {
  const redirectUri = 'http://127.0.0.1:9/callback';
  const response = await admin.post('/api/portal-apps', { name: 'Test portal', redirectUris: [redirectUri], ...body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return {
    id: response.body.id,
    clientId: response.body.clientId,
    clientSecret: response.body.clientSecret,
    redirectUri: (body.redirectUris as string[] | undefined)?.[0] ?? redirectUri,
  };
}

export async function relyingParty(t: TestApp, app: RegisteredApp): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(`${t.url}/oidc`),
    app.clientId,
    app.clientSecret ? { client_secret: app.clientSecret } : undefined,
    app.clientSecret ? undefined : oidc.None(),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
}

export interface Hop {
  status: number;
  location: string | undefined;
  text: string;
  url: string;
}

/** A browser without JavaScript that keeps every cookie of the app (paths ignored) and does not follow redirects by itself. */
export class OidcBrowser {
  readonly cookies = new Map<string, string>();

  async get(url: string): Promise<Hop> {
    return this.remember(url, await fetch(url, { redirect: 'manual', headers: { cookie: this.cookieHeader(), accept: 'text/html' } }));
  }

  async post(url: string, fields: Record<string, string>): Promise<Hop> {
    return this.remember(
      url,
      await fetch(url, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: new URLSearchParams(fields).toString(),
      }),
    );
  }

  /** Follows redirects on the app's own origin; stops at the first page or at a redirect elsewhere (the app's callback). */
  async follow(from: Hop, origin: string): Promise<Hop> {
    let hop = from;
    for (let i = 0; i < 10 && hop.status >= 300 && hop.status < 400 && hop.location; i++) {
      const next = new URL(hop.location, hop.url);
      if (next.origin !== origin) return hop;
      hop = await this.get(next.href);
    }
    return hop;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private async remember(url: string, response: Response): Promise<Hop> {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const name = pair!.slice(0, pair!.indexOf('='));
      const value = pair!.slice(pair!.indexOf('=') + 1);
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, location: response.headers.get('location') ?? undefined, text: await response.text(), url };
  }
}

export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(match, 'the page has a CSRF field');
  return match[1]!;
}

export function formActionOf(html: string): string {
  const match = /<form method="post" action="([^"]+)"/.exec(html);
  assert.ok(match, 'the page has a form');
  return match[1]!;
}

export interface SignInStart {
  config: oidc.Configuration;
  verifier: string;
  state: string;
  browser: OidcBrowser;
  /** The sign-in page the authorization request led to. */
  page: Hop;
}

/** An authorization request with PKCE, followed to the sign-in page. */
export async function startSignIn(t: TestApp, app: RegisteredApp, config?: oidc.Configuration, browser = new OidcBrowser()): Promise<SignInStart> {
  config ??= await relyingParty(t, app);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: app.redirectUri,
    scope: SCOPE,
    prompt: 'consent',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const page = await browser.follow(await browser.get(url.href), t.url);
  return { config, verifier, state, browser, page };
}

/** Submits the sign-in form; answers the redirect to the app's callback, or the page shown instead. */
export async function submitSignIn(t: TestApp, start: SignInStart, username: string, password: string): Promise<Hop> {
  const posted = await start.browser.post(new URL(formActionOf(start.page.text), t.url).href, { _csrf: csrfOf(start.page.text), username, password });
  return posted.status === 303 ? start.browser.follow(posted, t.url) : posted;
}

/** The whole code flow through the sign-in form: tokens for the app. */
export async function signInThrough(t: TestApp, app: RegisteredApp, username: string, password: string, config?: oidc.Configuration) {
  const start = await startSignIn(t, app, config);
  const callback = await submitSignIn(t, start, username, password);
  assert.equal(callback.status, 303, `expected the redirect to the app, got ${callback.status}`);
  assert.ok(callback.location?.startsWith(app.redirectUri), callback.location);
  const tokens = await oidc.authorizationCodeGrant(start.config, new URL(callback.location!), { pkceCodeVerifier: start.verifier, expectedState: start.state });
  return { tokens, config: start.config, callback: new URL(callback.location!), start };
}

/** A portal-account holder of the practice with a known password (the demo seed's). */
export async function activeAccounts(t: TestApp, practiceId: string): Promise<{ patient: Patient; account: PortalAccount }[]> {
  const accounts = await t.dataSource.getRepository(PortalAccount).find({ where: { practiceId, status: 'active' }, order: { username: 'ASC' } });
  const result: { patient: Patient; account: PortalAccount }[] = [];
  for (const account of accounts) {
    const patient = await t.dataSource.getRepository(Patient).findOneByOrFail({ id: account.patientId });
    if (patient.email) result.push({ patient, account });
  }
  return result;
}

/** A test endpoint that records back-channel logout tokens POSTed to it. */
export async function logoutReceiver(): Promise<{ url: string; tokens: string[]; close(): Promise<void> }> {
  const tokens: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (req.method === 'POST' && token) tokens.push(token);
      res.statusCode = token ? 200 : 400;
      res.end();
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/backchannel-logout`, tokens, close: () => new Promise((closed) => server.close(() => closed())) };
}
