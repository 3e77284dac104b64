import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { OidcPayload } from '../../src/oidc/oidc-payload.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { DEMO_PATIENT_PASSWORD, INVALID_LOGIN } from '../recovery/recovery-fixtures';
import { dumpAllTables, MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/fixtures';
import { MAPLE_ADMIN, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import {
  activeAccounts,
  csrfOf,
  formActionOf,
  OidcBrowser,
  registerApp,
  RegisteredApp,
  SCOPE,
  signInThrough,
  startOidcTestApp,
  startSignIn,
  submitSignIn,
} from './oidc-fixtures';

describe('the portal signs in through ResetDesk: OpenID code flow with PKCE', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let app: RegisteredApp;
  let people: Awaited<ReturnType<typeof activeAccounts>>;
  let next = 0;
  const nextPerson = () => people[next++]!;

  before(async () => {
    t = await startOidcTestApp({ seedPatients: 30, label: 'oidcflow' });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    app = await registerApp(admin);
    people = await activeAccounts(t, MAPLE_GROVE_ID);
  });
  after(async () => t?.close());

  it('discovery names the issuer PUBLIC_URL/oidc, code flow only, PKCE S256, and every endpoint', async () => {
    const response = await fetch(`${t.url}/oidc/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    const metadata = (await response.json()) as Record<string, unknown>;
    assert.equal(metadata.issuer, `${t.url}/oidc`);
    assert.deepEqual(metadata.response_types_supported, ['code']);
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    for (const scope of SCOPE.split(' ')) assert.ok((metadata.scopes_supported as string[]).includes(scope), scope);
    for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'end_session_endpoint', 'revocation_endpoint', 'jwks_uri']) {
      assert.ok(String(metadata[endpoint]).startsWith(`${t.url}/oidc/`), endpoint);
    }
    const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as { keys: Record<string, unknown>[] };
    assert.ok(jwks.keys.length >= 1);
    assert.ok(
      jwks.keys.every((key) => key.d === undefined),
      'only public keys are published',
    );
  });

  it('signs a patient in through the interaction form; ID token and userinfo carry the contract claims and sid', async () => {
    const { patient, account } = nextPerson();
    const start = await startSignIn(t, app);
    assert.equal(start.page.status, 200);
    assert.match(start.page.text, /<label for="username">Username<\/label>/);
    assert.match(start.page.text, /<label for="password">Password<\/label>/);
    assert.match(start.page.text, /href="\/forgot-password"/);
    assert.match(start.page.text, /href="\/forgot-username"/);
    assert.match(start.page.text, /Test portal/);

    const callback = await submitSignIn(t, start, account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(callback.status, 303);
    const tokens = await oidc.authorizationCodeGrant(start.config, new URL(callback.location!), {
      pkceCodeVerifier: start.verifier,
      expectedState: start.state,
    });
    const claims = tokens.claims()!;
    assert.equal(typeof claims.sub, 'string');
    for (const leak of [patient.mrn, account.username, account.id, patient.id, patient.email])
      assert.notEqual(claims.sub, leak, `sub reveals nothing ${JSON.stringify({ mrn: patient.mrn, u: account.username, a: account.id, p: patient.id })}`);
    assert.ok(!claims.sub.includes(account.username) && !claims.sub.includes(patient.id) && !claims.sub.includes(account.id));
    assert.equal(claims.preferred_username, account.username);
    assert.equal(claims.given_name, patient.firstName);
    assert.equal(claims.family_name, patient.lastName);
    assert.equal(claims.name, `${patient.firstName} ${patient.lastName}`);
    assert.equal(claims.birthdate, patient.dateOfBirth);
    assert.equal(claims.email, patient.email);
    assert.equal(claims.email_verified, true);
    assert.equal(typeof claims.sid, 'string');
    assert.ok(tokens.refresh_token, 'offline_access gives a refresh token without a consent page');

    const userinfo = await oidc.fetchUserInfo(start.config, tokens.access_token, claims.sub);
    assert.equal(userinfo.sub, claims.sub);
    assert.equal(userinfo.preferred_username, account.username);
    assert.equal(userinfo.email, patient.email);
    assert.equal(userinfo.birthdate, patient.dateOfBirth);

    const again = await signInThrough(t, app, account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(again.tokens.claims()!.sub, claims.sub, 'the same sub each time');
  });

  it('a chart imported from FHIR adds fhirUser Patient/<FHIR id>; others have none', async () => {
    const { patient, account } = nextPerson();
    await t.dataSource.query('UPDATE patients SET fhirId = NULL WHERE id = ?', [patient.id]);
    const before = await signInThrough(t, app, account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(before.tokens.claims()!.fhirUser, undefined);
    await t.dataSource.query('UPDATE patients SET fhirId = ? WHERE id = ?', ['pt-12345', patient.id]);
    const after = await signInThrough(t, app, account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(after.tokens.claims()!.fhirUser, 'Patient/pt-12345');
    assert.equal((await oidc.fetchUserInfo(after.config, after.tokens.access_token, after.tokens.claims()!.sub)).fhirUser, 'Patient/pt-12345');
  });

  it('refresh tokens rotate on use: the new one works, the spent one is refused with invalid_grant', async () => {
    const { account } = nextPerson();
    const { tokens, config } = await signInThrough(t, app, account.username, DEMO_PATIENT_PASSWORD);
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    assert.ok(refreshed.access_token);
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);
    await assert.rejects(oidc.refreshTokenGrant(config, tokens.refresh_token!), (error: unknown) => (error as { error?: string }).error === 'invalid_grant');
    await oidc.tokenRevocation(config, refreshed.refresh_token!);
    await assert.rejects(oidc.refreshTokenGrant(config, refreshed.refresh_token!), (error: unknown) => (error as { error?: string }).error === 'invalid_grant');
  });

  it('PKCE is required of every app: an authorization request without code_challenge is refused', async () => {
    const url = new URL(`${t.url}/oidc/auth`);
    url.search = new URLSearchParams({
      client_id: app.clientId,
      redirect_uri: app.redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: 'abc',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 303);
    const back = new URL(response.headers.get('location')!);
    assert.equal(back.origin + back.pathname, app.redirectUri);
    assert.equal(back.searchParams.get('error'), 'invalid_request');
    assert.match(back.searchParams.get('error_description') ?? '', /PKCE/);
  });

  it('bad input gets standard OAuth errors, never a 500 or a stack trace', async () => {
    const { account } = nextPerson();
    // Unknown client and unregistered redirect URI: a page for the patient, not a redirect anywhere.
    for (const query of [
      { client_id: 'rd-nobody', redirect_uri: app.redirectUri },
      { client_id: app.clientId, redirect_uri: 'https://evil.example/callback' },
    ]) {
      const response = await fetch(
        `${t.url}/oidc/auth?${new URLSearchParams({ ...query, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`,
        { redirect: 'manual' },
      );
      assert.equal(response.status, 400);
      const text = await response.text();
      assert.match(text, /We could not sign you in/);
      assert.doesNotMatch(text, /at .*\.js:\d+/);
    }

    const { tokens, config, callback, start } = await signInThrough(t, app, account.username, DEMO_PATIENT_PASSWORD);
    assert.ok(tokens.access_token);

    const token = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${t.url}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body),
      });
    const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });

    const wrongSecret = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, basic(app.clientId, 'not-the-secret'));
    assert.equal(wrongSecret.status, 401);
    assert.equal(((await wrongSecret.json()) as { error: string }).error, 'invalid_client');
    const wrongPostedSecret = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: app.clientId,
      client_secret: 'nope',
    });
    assert.equal(((await wrongPostedSecret.json()) as { error: string }).error, 'invalid_client');
    const unknownClient = await token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, basic('rd-nobody', 'x'));
    assert.equal(((await unknownClient.json()) as { error: string }).error, 'invalid_client');
    const garbage = await token(
      { grant_type: 'authorization_code', code: 'made-up', redirect_uri: app.redirectUri, code_verifier: 'v'.repeat(43) },
      basic(app.clientId, app.clientSecret!),
    );
    assert.equal(garbage.status, 400);
    assert.equal(((await garbage.json()) as { error: string }).error, 'invalid_grant');
    // client_secret_post works as well as Basic.
    const posted = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: app.clientId,
      client_secret: app.clientSecret!,
    });
    assert.equal(posted.status, 200, await posted.clone().text());
    const rotated = ((await posted.json()) as { refresh_token: string }).refresh_token;

    // The code was spent: replaying it is invalid_grant, and the grant's tokens are revoked with it.
    await assert.rejects(
      oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: start.verifier, expectedState: start.state }),
      (error: unknown) => (error as { error?: string }).error === 'invalid_grant',
    );
    await assert.rejects(oidc.refreshTokenGrant(config, rotated), (error: unknown) => (error as { error?: string }).error === 'invalid_grant');
  });

  it('wrong passwords show the /login error and count towards the same lock', async () => {
    const { account } = nextPerson();
    const start = await startSignIn(t, app);
    const wrong = await submitSignIn(t, start, account.username, 'Not-the-password-at-all-9');
    assert.equal(wrong.status, 401);
    assert.match(wrong.text, new RegExp(INVALID_LOGIN));
    const row = await t.dataSource.getRepository(PortalAccount).findOneByOrFail({ id: account.id });
    assert.equal(row.failedLoginCount, 1);
  });

  it("another practice's patients cannot sign in through this practice's app: the same Invalid username or password", async () => {
    const [riverside] = await activeAccounts(t, RIVERSIDE_ID);
    const start = await startSignIn(t, app);
    const refused = await submitSignIn(t, start, riverside!.account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(refused.status, 401);
    assert.match(refused.text, new RegExp(INVALID_LOGIN));
    const row = await t.dataSource.getRepository(PortalAccount).findOneByOrFail({ id: riverside!.account.id });
    assert.equal(row.failedLoginCount, 0, 'nothing counted against the other practice');

    // The same patient signs in through their own practice's app, with a sub of their own practice.
    const riversideApp = await registerApp(await StaffClient.signIn(t.server, RIVERSIDE_ADMIN));
    const { tokens } = await signInThrough(t, riversideApp, riverside!.account.username, DEMO_PATIENT_PASSWORD);
    assert.ok(tokens.claims()!.sub);
  });

  it('an interaction whose cookie is gone says so and starts again', async () => {
    const start = await startSignIn(t, app);
    const stranger = new OidcBrowser();
    const expired = await stranger.get(new URL(formActionOf(start.page.text), t.url).href);
    assert.equal(expired.status, 400);
    assert.match(expired.text, /This sign-in page has expired/);
    const restart = /<a class="button" href="([^"]+)">Start again<\/a>/.exec(expired.text);
    assert.ok(restart, 'offers to start again');
    const again = await stranger.follow(await stranger.get(new URL(restart[1]!.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&'), t.url).href), t.url);
    assert.equal(again.status, 200, again.text.slice(0, 500));
    assert.ok(csrfOf(again.text));
  });

  it('no table holds a code, token or session id in clear', async () => {
    const { account } = nextPerson();
    const { tokens, callback, start } = await signInThrough(t, app, account.username, DEMO_PATIENT_PASSWORD);
    const dump = await dumpAllTables(t.dataSource);
    const secrets = [callback.searchParams.get('code')!, tokens.access_token, tokens.refresh_token!, app.clientSecret!, ...start.browser.cookies.values()];
    for (const secret of secrets) assert.ok(!dump.includes(secret), `stored in clear: ${secret.slice(0, 6)}…`);
    assert.ok((await t.dataSource.getRepository(OidcPayload).count()) > 0, 'the provider did store its state');
  });
});
