import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { OidcPayload } from '../../src/oidc/oidc-payload.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { DEMO_PATIENT_PASSWORD, verifyWithQuestion } from '../recovery/recovery-fixtures';
import { GOOD_PASSWORD, PatientBrowser, strip } from '../registration/registration-fixtures';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_DESK, StaffClient } from '../support/staff-client';
import { TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { activeAccounts, logoutReceiver, registerApp, RegisteredApp, signInThrough, startOidcTestApp } from './oidc-fixtures';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

async function eventually<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function detailsOf<T>(event: AuditEvent): T {
  const details: unknown = event.details;
  return (typeof details === 'string' ? JSON.parse(details) : details) as T;
}

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  return { header: JSON.parse(Buffer.from(header!, 'base64url').toString()), payload: JSON.parse(Buffer.from(payload!, 'base64url').toString()) };
}

describe('ending portal access signs the patient out of every portal app, with back-channel logout', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let desk: StaffClient;
  let app: RegisteredApp;
  let receiver: Awaited<ReturnType<typeof logoutReceiver>>;
  let people: Awaited<ReturnType<typeof activeAccounts>>;
  let next = 0;
  const nextPerson = () => people[next++]!;

  before(async () => {
    receiver = await logoutReceiver();
    t = await startOidcTestApp({ seedPatients: 30, label: 'oidcend', env: { RUN_DISPATCHER: 'true' } });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    app = await registerApp(admin, { backchannelLogoutUri: receiver.url });
    people = await activeAccounts(t, MAPLE_GROVE_ID);
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** The token of the newest link of this kind delivered to the dev mailbox for this address. */
  function linkFromMailbox(to: string, path: 'register' | 'reset-password'): Promise<string> {
    return eventually(async () => {
      const mailbox = await desk.get('/api/dev-mailbox');
      const mail = (mailbox.body as { to: string; text: string }[]).find((m) => m.to === to && m.text.includes(`/${path}/`));
      return mail ? new RegExp(`/${path}/([A-Za-z0-9_-]+)`).exec(mail.text)![1]! : null;
    }, `the ${path} email arrives`);
  }

  /** Signs in through the app and answers what the app holds. */
  async function portalSession(username: string, password = DEMO_PATIENT_PASSWORD) {
    const { tokens, config } = await signInThrough(t, app, username, password);
    const claims = tokens.claims()!;
    return { tokens, config, sub: claims.sub, sid: claims.sid as string };
  }

  async function assertSignedOut(session: Awaited<ReturnType<typeof portalSession>>, trigger: string, patientId: string) {
    await assert.rejects(
      oidc.refreshTokenGrant(session.config, session.tokens.refresh_token!),
      (error: unknown) => (error as { error?: string }).error === 'invalid_grant',
    );
    await assert.rejects(oidc.fetchUserInfo(session.config, session.tokens.access_token, session.sub), 'the access token no longer opens userinfo');

    const token = await eventually(async () => receiver.tokens.find((tok) => decode(tok).payload.sid === session.sid), 'the app received a logout token');
    const { header, payload } = decode(token);
    assert.equal(header.typ, 'logout+jwt');
    assert.equal(payload.iss, `${t.url}/oidc`);
    assert.equal(payload.aud, app.clientId);
    assert.equal(payload.sub, session.sub);
    assert.deepEqual(payload.events, { [LOGOUT_EVENT]: {} });
    assert.equal(payload.nonce, undefined);
    // Verified against the provider's published keys.
    const jwks = (await (await fetch(`${t.url}/oidc/jwks`)).json()) as { keys: (Record<string, unknown> & { kid: string })[] };
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, 'signed with a published key');
    const [h, p, s] = token.split('.');
    assert.ok(
      verify(
        'sha256',
        Buffer.from(`${h}.${p}`),
        createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
        Buffer.from(s!, 'base64url'),
      ),
    );

    const events = await t.dataSource.getRepository(AuditEvent).find({ where: { patientId, action: 'portal.sessions_ended' }, order: { createdAt: 'DESC' } });
    const event = events.find((e) => detailsOf<{ trigger: string }>(e).trigger === trigger);
    assert.ok(event, `portal.sessions_ended with trigger ${trigger}`);
    const details = detailsOf<{ appsNotified: { clientId: string; outboxMessageId: string }[] }>(event);
    assert.deepEqual(
      details.appsNotified.map((a) => a.clientId),
      [app.clientId],
    );
    const message = await eventually(async () => {
      const row = await t.dataSource.getRepository(OutboxMessage).findOneByOrFail({ id: details.appsNotified[0]!.outboxMessageId });
      return row.status === 'sent' ? row : null;
    }, 'the logout message is marked sent');
    assert.equal(message.channel, 'backchannel_logout');
    assert.equal(message.sealedSecret, null, 'nothing left sealed once sent');
    const delivered = await t.dataSource.getRepository(AuditEvent).findOneBy({ action: 'email.sent', patientId });
    assert.ok(delivered, 'the delivery is audited');
    const emails = await admin.get(`/api/emails/${message.id}`);
    assert.equal(emails.status, 200);
    assert.equal(emails.body.channel, 'backchannel_logout');
  }

  it('a reset revokes everything in its transaction and the app receives a verifiable logout token; sub survives re-registration', async () => {
    const { patient, account } = nextPerson();
    const session = await portalSession(account.username);
    const reset = await desk.post(`/api/patients/${patient.id}/portal-reset`, { reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' });
    assert.equal(reset.status, 201, JSON.stringify(reset.body));
    assert.equal(await t.dataSource.getRepository(OidcPayload).countBy({ accountId: session.sub }), 0, 'nothing of the patient left in the provider');
    await assertSignedOut(session, 'reset', patient.id);

    // The patient registers again through the emailed link and signs in to the portal: the same sub.
    const link = await linkFromMailbox(patient.email!, 'register');
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link}`);
    const verified = await browser.post(`/register/${link}/verify`, {
      dateOfBirth: patient.dateOfBirth.replace(/-/g, ''),
      pin: reset.body.invitation.pin,
      via: 'pin',
    });
    assert.equal(verified.status, 303);
    await browser.follow(`/register/${link}/verify`, verified);
    const username = `${account.username}x2`;
    const created = await browser.post(`/register/${link}/account`, {
      username,
      password: GOOD_PASSWORD,
      confirmPassword: GOOD_PASSWORD,
      securityQuestion: 'What was the name of your first pet?',
      securityAnswer: 'Biscuit',
    });
    assert.match(strip(created.text), /Your account is ready/);
    const again = await portalSession(username, GOOD_PASSWORD);
    assert.equal(again.sub, session.sub, 'the same sub for the new account');
    assert.notEqual(again.sid, session.sid);
  });

  it('five wrong passwords lock the account and sign it out of the app', async () => {
    const { patient, account } = nextPerson();
    const session = await portalSession(account.username);
    const browser = new PatientBrowser(t.server);
    for (let i = 0; i < 5; i++) {
      await browser.get('/login');
      await browser.post('/login', { username: account.username, password: `Wrong-password-${i}-xyz` });
    }
    assert.equal((await t.dataSource.getRepository(PortalAccount).findOneByOrFail({ id: account.id })).status, 'locked');
    await assertSignedOut(session, 'lock', patient.id);
  });

  it('a password changed through recovery signs the account out of the app', async () => {
    const { patient, account } = nextPerson();
    const session = await portalSession(account.username);
    const browser = new PatientBrowser(t.server);
    await browser.get('/forgot-password');
    await browser.post('/forgot-password', { username: account.username });
    const token = await linkFromMailbox(patient.email!, 'reset-password');
    await verifyWithQuestion(browser, token, patient.dateOfBirth.replace(/-/g, ''));
    const saved = await browser.post(`/reset-password/${token}/new-password`, { newPassword: GOOD_PASSWORD, confirmNewPassword: GOOD_PASSWORD });
    assert.equal(saved.status, 303);
    await assertSignedOut(session, 'recovery', patient.id);
    const again = await portalSession(account.username, GOOD_PASSWORD);
    assert.equal(again.sub, session.sub, 'the new password signs in again, under the same sub');
  });

  it('staff End portal sessions: 200 with the patient, everything revoked, the app told', async () => {
    const { patient, account } = nextPerson();
    const session = await portalSession(account.username);
    const noCsrf = await desk.postWithoutCsrf(`/api/patients/${patient.id}/portal-sessions/end`);
    assert.equal(noCsrf.status, 403);
    const otherPractice = await (await StaffClient.signIn(t.server, RIVERSIDE_DESK)).post(`/api/patients/${patient.id}/portal-sessions/end`);
    assert.equal(otherPractice.status, 404);

    const ended = await desk.post(`/api/patients/${patient.id}/portal-sessions/end`);
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    assert.equal(ended.body.id, patient.id);
    assert.equal(ended.body.portalAccount.status, 'active', 'the account itself stays usable');
    await assertSignedOut(session, 'staff', patient.id);
    const again = await portalSession(account.username);
    assert.equal(again.sub, session.sub);
  });
});
