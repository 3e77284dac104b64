import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { ENUMERATION_SAFE_FLOOR_MS } from '../../src/patient-pages/even-timing';
import { PatientSignInService } from '../../src/patient-auth/patient-sign-in.service';
import { SIGN_IN_FAILURE_LIMIT, addressBlock } from '../../src/patient-auth/sign-in-throttle';
import { assertApiError } from '../support/api-assertions';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { tamper } from '../admin/admin-support';
import { PatientBrowser, strip } from '../registration/registration-fixtures';
import { DEMO_PATIENT_PASSWORD, INVALID_LOGIN, PortalPatient, accountRow, portalPatients, signIn, unknownUsername } from '../recovery/recovery-fixtures';

const WRONG_PASSWORD = 'Definitely-not-the-password-1';
let addressCounter = 0;
/** A browser behind its own client address (the app trusts X-Forwarded-For from loopback, as behind its proxy). */
const browserAt = (t: TestApp, address = `198.51.100.${++addressCounter}`) => new PatientBrowser(t.server, { 'X-Forwarded-For': address });

/**
 * Patient sign-in resists password spraying and lock-out abuse: failures are counted per client
 * address and per username (30 an hour, then 429 with Retry-After), and the account lock after
 * five wrong passwords ends by itself (15 minutes, doubling within 24 hours).
 */
describe('patient sign-in throttling and temporary locks', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  let people: PortalPatient[];
  let next = 0;
  const nextPatient = () => people[next++]!;

  before(async () => {
    t = await startTestApp({ seedPatients: 30, label: 'hthrottle' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    people = await portalPatients(t);
  });
  after(async () => t?.close());

  const lockFiveTimes = async (username: string) => {
    for (let i = 0; i < 5; i++) assert.equal((await signIn(browserAt(t), username, WRONG_PASSWORD)).status, 401);
  };
  const lockEvents = async (patientId: string) =>
    (await t.dataSource.getRepository(AuditEvent).find({ where: { patientId, action: 'portal.locked' }, order: { seq: 'ASC' } })).map((e) =>
      JSON.parse(e.details),
    );

  it('answers the 31st failed sign-in within an hour from one address with 429 and Retry-After, on the page and as JSON', async () => {
    const address = '203.0.113.50';
    // Spraying: one wrong password over many usernames, most of them unknown.
    for (let i = 0; i < SIGN_IN_FAILURE_LIMIT; i++) {
      const page = await signIn(browserAt(t, address), i % 3 ? unknownUsername() : people[people.length - 1 - (i % 3)]!.account.username, WRONG_PASSWORD);
      assert.equal(page.status, 401, `attempt ${i + 1}`);
    }
    const browser = browserAt(t, address);
    await browser.get('/login');
    const post = () =>
      request(t.server)
        .post('/login')
        .type('form')
        .set('X-Forwarded-For', address)
        .set('Cookie', [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '))
        .send({ _csrf: browser.csrf!, username: people[0]!.account.username, password: DEMO_PATIENT_PASSWORD });

    const page = await post().set('Accept', 'text/html');
    assert.equal(page.status, 429);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    const retryAfter = Number(page.headers['retry-after']);
    assert.ok(retryAfter > 3000 && retryAfter <= 3600, `Retry-After ${page.headers['retry-after']}`);
    assert.match(strip(page.text), /Too many failed sign-ins from your network\. Please wait (59|60) minutes and try again/);
    assert.ok(!page.headers['set-cookie']?.toString().includes('rd_portal='), 'even the right password is not checked');

    const api = await post().set('Accept', 'application/json');
    assertApiError(api, 429, /Too many failed sign-ins/);
    assert.ok(Number(api.headers['retry-after']) > 0);

    // Another address is not affected, nor the account itself.
    assert.equal((await signIn(browserAt(t), people[0]!.account.username, DEMO_PATIENT_PASSWORD)).status, 303);
  });

  it('counts an IPv6 client by its /64', () => {
    assert.equal(addressBlock('2001:db8:1:2:aaaa::1'), addressBlock('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    assert.notEqual(addressBlock('2001:db8:1:2::1'), addressBlock('2001:db8:1:3::1'));
    assert.equal(addressBlock('::ffff:192.0.2.7'), '192.0.2.7');
  });

  it('throttles one username guessed from many addresses', async () => {
    const username = unknownUsername();
    for (let i = 0; i < SIGN_IN_FAILURE_LIMIT; i++) assert.equal((await signIn(browserAt(t), username, WRONG_PASSWORD)).status, 401);
    const page = await signIn(browserAt(t), username, WRONG_PASSWORD);
    assert.equal(page.status, 429);
    assert.match(strip(page.text), /Too many failed sign-ins/);
  });

  it('locks for 15 minutes after 5 failures, then 30, then 60 within a day; an expired lock lifts at the next sign-in', async () => {
    const { patient, account } = nextPatient();
    await lockFiveTimes(account.username);
    let row = await accountRow(t, account.id);
    assert.equal(row.status, 'locked');
    assert.equal(row.lockReason, 'too_many_login_failures');
    const minutesLeft = (row.lockedUntil!.getTime() - row.lockedAt!.getTime()) / 60_000;
    assert.equal(minutesLeft, 15);

    // Staff see the lock, its reason and when it ends.
    const detail = await desk.get(`/api/patients/${patient.id}`).expect(200);
    assert.equal(detail.body.portalAccount.lockReason, 'too_many_login_failures');
    assert.equal(detail.body.portalAccount.lockedUntil, row.lockedUntil!.toISOString());

    const stillLocked = await signIn(browserAt(t), account.username, DEMO_PATIENT_PASSWORD);
    assert.equal(stillLocked.status, 403);
    assert.match(strip(stillLocked.text), /locked after too many failed sign-ins\. Try again in 1[45] minutes/);

    // Time passes: the lock's end is now behind us.
    await tamper(t, 'UPDATE portal_accounts SET lockedUntil = ? WHERE id = ?', [new Date(Date.now() - 1000), account.id]);
    assert.equal((await signIn(browserAt(t), account.username, DEMO_PATIENT_PASSWORD)).status, 303, 'the right password works again');
    row = await accountRow(t, account.id);
    assert.equal(row.status, 'active');
    assert.equal(row.lockedUntil, null);
    const expired = await t.dataSource.getRepository(AuditEvent).findOneByOrFail({ patientId: patient.id, action: 'portal.unlocked', reason: 'lock_expired' });
    assert.equal(expired.actorType, 'system');

    await lockFiveTimes(account.username);
    row = await accountRow(t, account.id);
    assert.equal((row.lockedUntil!.getTime() - row.lockedAt!.getTime()) / 60_000, 30, 'the second lock within a day doubles');
    await tamper(t, 'UPDATE portal_accounts SET lockedUntil = ? WHERE id = ?', [new Date(Date.now() - 1000), account.id]);
    // An expired lock lifts on a wrong password too, which then counts from one.
    assert.equal((await signIn(browserAt(t), account.username, WRONG_PASSWORD)).status, 401);
    assert.equal((await accountRow(t, account.id)).failedLoginCount, 1);
    for (let i = 0; i < 4; i++) await signIn(browserAt(t), account.username, WRONG_PASSWORD);
    row = await accountRow(t, account.id);
    assert.equal(row.status, 'locked');
    assert.equal((row.lockedUntil!.getTime() - row.lockedAt!.getTime()) / 60_000, 60);
    assert.deepEqual(
      (await lockEvents(patient.id)).map((d) => d.lockMinutes),
      [15, 30, 60],
    );
  });

  it('a lock from more than a day ago does not double the next one', async () => {
    const { patient, account } = nextPatient();
    await lockFiveTimes(account.username);
    await tamper(t, "UPDATE audit_events SET createdAt = DATE_SUB(createdAt, INTERVAL 25 HOUR) WHERE patientId = ? AND action = 'portal.locked'", [patient.id]);
    await tamper(t, 'UPDATE portal_accounts SET lockedUntil = ? WHERE id = ?', [new Date(Date.now() - 1000), account.id]);
    await lockFiveTimes(account.username);
    const row = await accountRow(t, account.id);
    assert.equal((row.lockedUntil!.getTime() - row.lockedAt!.getTime()) / 60_000, 15);
  });

  it('staff unlock ends a temporary lock early', async () => {
    const { patient, account } = nextPatient();
    await lockFiveTimes(account.username);
    const unlocked = await desk.post(`/api/patients/${patient.id}/portal-unlock`);
    assert.equal(unlocked.status, 200);
    assert.equal(unlocked.body.portalAccount.lockedUntil, null);
    assert.equal((await accountRow(t, account.id)).lockedUntil, null);
    assert.equal((await signIn(browserAt(t), account.username, DEMO_PATIENT_PASSWORD)).status, 303);
  });

  it('gives an unknown username and a wrong password the same words after the same floor', async () => {
    const { account } = nextPatient();
    for (const username of [unknownUsername(), account.username]) {
      const started = performance.now();
      const page = await signIn(browserAt(t), username, WRONG_PASSWORD);
      const elapsed = performance.now() - started;
      assert.equal(page.status, 401);
      assert.ok(strip(page.text).includes(INVALID_LOGIN));
      // Includes fetching the form first, so only the floor itself is asserted.
      assert.ok(elapsed >= ENUMERATION_SAFE_FLOOR_MS, `${username}: answered in ${elapsed.toFixed(0)} ms`);
    }
    // The service itself holds the floor, so every caller (the OpenID interaction too) gets it.
    const signIns = t.app.get(PatientSignInService);
    const started = performance.now();
    const outcome = await signIns.signIn(unknownUsername(), WRONG_PASSWORD, { clientAddress: '192.0.2.200' });
    assert.equal(outcome.kind, 'invalid');
    assert.ok(performance.now() - started >= ENUMERATION_SAFE_FLOOR_MS - 1);
  });
});
