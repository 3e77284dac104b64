import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { PortalSession } from '../../src/portal-accounts/portal-session.entity';
import { dumpAllTables } from '../support/fixtures';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { FORM_EXPIRED_MESSAGE, PatientBrowser, h1Of, strip, titleOf } from '../registration/registration-fixtures';
import {
  DEMO_PATIENT_PASSWORD,
  INVALID_LOGIN,
  PortalPatient,
  accountRow,
  auditTrail,
  comparable,
  portalPatients,
  signIn,
  unknownUsername,
} from '../recovery/recovery-fixtures';

const WRONG_PASSWORD = 'Definitely-not-the-password-1';

describe('patient sign-in at /login: sessions, generic errors, lockout after 5 failures', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  let people: PortalPatient[];
  let next = 0;
  const nextPatient = () => people[next++]!;

  before(async () => {
    t = await startTestApp({ seedPatients: 40, label: 'psignin' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    people = await portalPatients(t);
  });
  after(async () => t?.close());

  const sessionsOf = (accountId: string) => t.dataSource.getRepository(PortalSession).findBy({ portalAccountId: accountId });

  it('shows Username, Password and Sign in, with links to recover the password or username', async () => {
    const page = await new PatientBrowser(t.server).get('/login');
    assert.equal(page.status, 200);
    assert.equal(h1Of(page.text), 'Sign in');
    assert.match(page.text, /<label for="username">Username<\/label>/);
    assert.match(page.text, /<label for="password">Password<\/label>/);
    assert.match(page.text, /<input id="password" name="password" type="password" autocomplete="current-password"/);
    assert.match(page.text, /<button type="submit" class="button">Sign in<\/button>/);
    assert.match(page.text, /<input type="hidden" name="_csrf" value="[^"]+">/);
    assert.match(page.text, /href="\/forgot-password"/);
    assert.match(page.text, /href="\/forgot-username"/);
  });

  it('the right password starts a session: HttpOnly SameSite=Strict rd_portal cookie, only its SHA-256 stored', async () => {
    const { patient, account } = nextPatient();
    const browser = new PatientBrowser(t.server);
    const signedIn = await signIn(browser, account.username, DEMO_PATIENT_PASSWORD);

    assert.equal(signedIn.status, 303);
    assert.equal(signedIn.location, '/login/signed-in');
    const cookieLine = signedIn.setCookies.find((c) => c.startsWith('rd_portal='))!;
    assert.ok(cookieLine, 'sets rd_portal');
    assert.match(cookieLine, /HttpOnly/i);
    assert.match(cookieLine, /SameSite=Strict/i);
    const token = browser.cookies.get('rd_portal')!;
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);

    const [session, ...others] = await sessionsOf(account.id);
    assert.equal(others.length, 0);
    assert.equal(session!.tokenHash, createHash('sha256').update(token).digest('hex'));
    assert.equal(session!.revokedAt, null);
    assert.ok(!(await dumpAllTables(t.dataSource)).includes(token), 'the token itself is stored nowhere');

    const home = await browser.get('/login/signed-in');
    assert.equal(home.status, 200);
    assert.ok(strip(home.text).includes(`You are signed in as ${account.username}`));
    assert.match(home.text, /<button type="submit" class="button button--secondary">Sign out<\/button>/);
    assert.equal((await browser.get('/login')).location, '/login/signed-in', 'the sign-in page sends a signed-in patient on');

    const row = await accountRow(t, account.id);
    assert.equal(row.failedLoginCount, 0);
    assert.ok(row.lastLoginAt && Date.now() - new Date(row.lastLoginAt).getTime() < 60_000);
    assert.deepEqual(await auditTrail(t, patient.id), [['portal.login', null]]);

    const signedOut = await browser.post('/login/sign-out', {});
    assert.equal(signedOut.status, 303);
    assert.equal(signedOut.location, '/login?notice=signed-out');
    assert.ok((await sessionsOf(account.id))[0]!.revokedAt, 'sign-out revokes the row');
    const replay = new PatientBrowser(t.server);
    replay.cookies.set('rd_portal', token);
    assert.equal((await replay.get('/login/signed-in')).location, '/login', 'the old cookie no longer works');
    assert.deepEqual(
      (await auditTrail(t, patient.id)).map(([action]) => action),
      ['portal.login', 'portal.logout'],
    );
  });

  it('unknown usernames, retired usernames and wrong passwords get the same answer', async () => {
    const { account } = nextPatient();
    const retired = (await t.dataSource.query(`SELECT username FROM portal_accounts WHERE status = 'closed' LIMIT 1`))[0].username as string;
    const pages = [];
    for (const [username, password] of [
      [account.username, WRONG_PASSWORD],
      [unknownUsername(), WRONG_PASSWORD],
      [retired, DEMO_PATIENT_PASSWORD],
      [account.username.toUpperCase(), WRONG_PASSWORD],
    ] as const) {
      const browser = new PatientBrowser(t.server);
      const page = await signIn(browser, username, password);
      assert.equal(page.status, 401, username);
      assert.ok(strip(page.text).includes(INVALID_LOGIN), username);
      assert.ok(!browser.cookies.has('rd_portal'));
      pages.push(comparable(page).replace(/value="[^"]*" autocomplete="username"/, ''));
    }
    assert.equal(new Set(pages).size, 1, 'the pages differ in nothing but the username typed');
    assert.equal((await accountRow(t, account.id)).failedLoginCount, 2, 'usernames compare case-insensitively');
  });

  it('empty fields are explained without counting; a form without its CSRF token is refused and counts nothing', async () => {
    const { account } = nextPatient();
    const browser = new PatientBrowser(t.server);
    const empty = await submitLogin(browser, { username: account.username, password: '' });
    assert.equal(empty.status, 422);
    assert.ok(strip(empty.text).includes('Enter your password.'));

    const forged = await browser.post('/login', { username: account.username, password: WRONG_PASSWORD }, { csrf: false });
    assert.equal(forged.status, 403);
    assert.ok(strip(forged.text).includes(FORM_EXPIRED_MESSAGE));
    const alsoForged = await browser.post('/login', { username: account.username, password: DEMO_PATIENT_PASSWORD }, { csrf: '1.abc' });
    assert.equal(alsoForged.status, 403);
    assert.ok(!browser.cookies.has('rd_portal'), 'no session from a forged form');
    assert.equal((await accountRow(t, account.id)).failedLoginCount, 0);
  });

  it('five wrong passwords in a row lock the account; staff see why; only the right password learns it is locked', async () => {
    const { patient, account } = nextPatient();
    const browser = new PatientBrowser(t.server);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const page = await signIn(browser, account.username, WRONG_PASSWORD);
      assert.equal(page.status, 401);
      assert.ok(strip(page.text).includes(INVALID_LOGIN), `attempt ${attempt} answers the generic message`);
    }
    const row = await accountRow(t, account.id);
    assert.equal(row.status, 'locked');
    assert.equal(row.lockReason, 'too_many_login_failures');
    assert.ok(row.lockedAt);

    const detail = await desk.get(`/api/patients/${patient.id}`);
    assert.equal(detail.status, 200);
    assert.equal(detail.body.portalStatus, 'locked');
    assert.equal(detail.body.portalAccount.status, 'locked');
    assert.equal(detail.body.portalAccount.lockReason, 'too_many_login_failures');
    assert.ok(detail.body.portalAccount.lockedAt);

    const wrongAgain = await signIn(browser, account.username, WRONG_PASSWORD);
    assert.equal(wrongAgain.status, 401);
    assert.ok(strip(wrongAgain.text).includes(INVALID_LOGIN));
    assert.ok(!strip(wrongAgain.text).includes('locked'), 'a wrong password never learns the lock state');

    const rightPassword = await signIn(browser, account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(rightPassword.status, 403);
    // A lock for failed sign-ins ends by itself: the page says so, and how to end it sooner.
    assert.match(strip(rightPassword.text), /Your account is locked after too many failed sign-ins\. Try again in 1[45] minutes/);
    assert.ok(!browser.cookies.has('rd_portal'));

    const history = await desk.get(`/api/patients/${patient.id}/portal-history`);
    const events = (history.body.events as { action: string; reason: string | null; actorType: string; actorId: string; details: Record<string, unknown> }[])
      .filter((e) => e.action.startsWith('portal.'))
      .reverse();
    assert.deepEqual(
      events.map((e) => [e.action, e.reason]),
      [
        ...Array.from({ length: 5 }, () => ['portal.login_failed', 'wrong_password']),
        ['portal.locked', 'too_many_login_failures'],
        ['portal.login_failed', 'wrong_password'],
        ['portal.login_failed', 'account_locked'],
      ],
    );
    assert.deepEqual(events[4]!.details, {
      portalAccountId: account.id,
      username: account.username,
      failedLoginCount: 5,
      lockReason: 'too_many_login_failures',
    });
    assert.ok(events.every((e) => e.actorType === 'patient' && e.actorId === patient.id));

    const unlocked = await desk.post(`/api/patients/${patient.id}/portal-unlock`);
    assert.equal(unlocked.status, 200);
    assert.equal(unlocked.body.portalStatus, 'active');
    const afterUnlock = await signIn(new PatientBrowser(t.server), account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(afterUnlock.status, 303, 'staff unlock lets the patient sign in again');
  });

  it('the count is of consecutive failures: a successful sign-in starts it again', async () => {
    const { account } = nextPatient();
    const browser = new PatientBrowser(t.server);
    for (let i = 0; i < 4; i++) await signIn(browser, account.username, WRONG_PASSWORD);
    assert.equal((await accountRow(t, account.id)).failedLoginCount, 4);
    assert.equal((await signIn(browser, account.username, DEMO_PATIENT_PASSWORD)).status, 303);
    assert.equal((await accountRow(t, account.id)).failedLoginCount, 0);
    const other = new PatientBrowser(t.server);
    for (let i = 0; i < 4; i++) await signIn(other, account.username, WRONG_PASSWORD);
    assert.equal((await accountRow(t, account.id)).status, 'active');
  });

  it('a staff reset ends the patient’s sessions: the cookie stops working and the retired username cannot sign in', async () => {
    const { patient, account } = nextPatient();
    const browser = new PatientBrowser(t.server);
    assert.equal((await signIn(browser, account.username, DEMO_PATIENT_PASSWORD)).status, 303);
    assert.equal((await browser.get('/login/signed-in')).status, 200);

    const reset = await desk.post(`/api/patients/${patient.id}/portal-reset`, { reason: 'suspected_compromise', identityVerification: 'in_person_photo_id' });
    assert.equal(reset.status, 201);

    const after = await browser.get('/login/signed-in');
    assert.equal(after.status, 303);
    assert.equal(after.location, '/login');
    assert.ok((await sessionsOf(account.id)).every((s) => s.revokedAt));
    const again = await signIn(new PatientBrowser(t.server), account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(again.status, 401, 'a closed account can never sign in');
    assert.ok(strip(again.text).includes(INVALID_LOGIN));
  });

  it('ten wrong passwords at once count exactly five and lock once', async () => {
    const { patient, account } = nextPatient();
    const browsers = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const browser = new PatientBrowser(t.server);
        await browser.get('/login');
        return browser;
      }),
    );
    const pages = await Promise.all(browsers.map((b) => b.post('/login', { username: account.username, password: WRONG_PASSWORD })));
    assert.ok(pages.every((p) => p.status === 401));
    const row = await accountRow(t, account.id);
    assert.equal(row.status, 'locked');
    assert.equal(row.failedLoginCount, 5);
    assert.equal((await auditTrail(t, patient.id)).filter(([action]) => action === 'portal.locked').length, 1);
  });

  it('the sign-in pages carry no-store and the patient stylesheet, titled for screen readers', async () => {
    const page = await new PatientBrowser(t.server).get('/login');
    assert.equal(titleOf(page.text), 'Sign in');
    assert.match(page.text, /<link rel="stylesheet" href="\/assets\/patient.css">/);
    assert.ok(page.text.includes('Patient portal sign-in'));
    const notice = await new PatientBrowser(t.server).get('/login?notice=password-changed');
    assert.ok(strip(notice.text).includes('Your password has been changed. Sign in with your new password.'));
    const bogus = await new PatientBrowser(t.server).get('/login?notice=%3Cscript%3E');
    assert.ok(!bogus.text.includes('<script>'));
  });
});

function submitLogin(browser: PatientBrowser, fields: Record<string, string>) {
  return browser.get('/login').then(() => browser.post('/login', fields));
}
