import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { dumpAllTables, dumpCharts, MAPLE_GROVE_ID, patientIdsWith } from '../support/fixtures';
import { GOOD_PASSWORD, PatientBrowser, strip } from '../registration/registration-fixtures';
import { SmtpCapture } from '../support/smtp-capture';
import { MAPLE_ADMIN, MAPLE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

const RESET = { reason: 'forgot_credentials', identityVerification: 'phone_dob_and_address', note: 'Forgot password and security answer' };

function registrationPath(mailText: string): string {
  const match = /https?:\/\/[^\s"<>]+(\/register\/[A-Za-z0-9_-]{40,})/.exec(mailText);
  assert.ok(match, 'the email carries a registration link');
  return match[1]!;
}

describe('the reset loop, end to end over HTTP and real SMTP', { skip: mysqlSkip }, () => {
  let t: TestApp;
  const smtp = new SmtpCapture();
  let desk: StaffClient;

  before(async () => {
    await smtp.start();
    t = await startTestApp({ seedPatients: 40, label: 'loop', env: { SMTP_URL: smtp.url, MAIL_FROM: 'Maple Grove <portal@maplegrove.test>' } });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
  });

  it('desk resets, the patient registers from the emailed link with DOB + PIN and a never-used username, and the admin sees an unchanged chart', async () => {
    const dispatcher = t.app.get(OutboxDispatcher);
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const [patient] = await t.dataSource.query('SELECT * FROM patients WHERE id = ?', [patientId]);
    const [oldAccount] = await t.dataSource.query('SELECT * FROM portal_accounts WHERE patientId = ? AND openMarker = 1', [patientId]);
    const chartsBefore = await dumpCharts(t.dataSource);

    const reset = await desk.post(`/api/patients/${patientId}/portal-reset`, RESET);
    assert.equal(reset.status, 201, JSON.stringify(reset.body));
    const { pin } = reset.body.invitation;

    await dispatcher.runOnce();
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email) && /new patient portal account/i.test(m.parsed.subject ?? ''));
    assert.equal(mail.parsed.from?.value[0]?.address, 'portal@maplegrove.test');
    const body = `${mail.parsed.text}\n${mail.parsed.html}`;
    assert.ok(!body.includes(pin), 'the PIN is never in the email');
    assert.ok(body.includes(patient.firstName) && !body.includes(patient.lastName), 'first name only');
    const link = registrationPath(mail.parsed.text ?? '');

    const browser = new PatientBrowser(t.server);
    const opened = await browser.get(link);
    assert.equal(opened.status, 200);
    assert.match(strip(opened.text), /Verify it's you/);

    const dob = String(patient.dateOfBirth).replace(/-/g, '');
    const verified = await browser.post(`${link}/verify`, { dateOfBirth: dob, pin, via: 'pin' });
    const accountPage = await browser.follow(`${link}/verify`, verified);
    assert.equal(accountPage.status, 200);

    const retiredName = oldAccount.username.toUpperCase();
    const taken = await browser.post(`${link}/account`, {
      username: retiredName,
      password: GOOD_PASSWORD,
      confirmPassword: GOOD_PASSWORD,
      securityQuestion: 'What was the name of your first pet?',
      securityAnswer: 'Pepper',
    });
    assert.match(strip(taken.text), /Username has already been taken/, 'the retired username (in any case) cannot be taken again');

    const newUsername = `${patient.firstName}.renewed`.toLowerCase();
    const created = await browser.post(`${link}/account`, {
      username: newUsername,
      password: GOOD_PASSWORD,
      confirmPassword: GOOD_PASSWORD,
      securityQuestion: 'What was the name of your first pet?',
      securityAnswer: 'Pepper',
    });
    assert.match(strip(created.text), /Your account is ready/);

    const accounts = await t.dataSource.query('SELECT * FROM portal_accounts WHERE patientId = ? ORDER BY createdAt', [patientId]);
    const active = accounts.filter((a: { status: string }) => a.status === 'active');
    assert.equal(active.length, 1);
    assert.equal(active[0].username, newUsername);
    assert.match(active[0].passwordHash, /^\$argon2id\$/);
    const old = accounts.find((a: { id: string }) => a.id === oldAccount.id);
    assert.equal(old.status, 'closed');
    assert.equal(old.passwordHash, null, 'the old password can no longer be checked against anything');

    await dispatcher.runOnce();
    const ready = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email) && /ready/i.test(m.parsed.subject ?? ''));
    assert.ok((ready.parsed.text ?? '').includes(newUsername));

    const portal = new PatientBrowser(t.server);
    await portal.get('/login');
    const oldCredentials = await portal.post('/login', { username: oldAccount.username, password: 'Portal-demo-2026!' });
    assert.equal(oldCredentials.status, 401);
    assert.match(strip(oldCredentials.text), /Invalid username or password/, 'the retired username and old password no longer sign in');
    const newCredentials = await portal.post('/login', { username: newUsername, password: GOOD_PASSWORD });
    assert.equal(newCredentials.status, 303, 'the new account signs in');

    const reopened = await browser.get(link);
    assert.match(strip(reopened.text), /This registration link is not valid/, 'the link is single-use');

    assert.deepEqual(await dumpCharts(t.dataSource), chartsBefore, 'registration did not touch any chart either');

    const detail = await desk.get(`/api/patients/${patientId}`);
    assert.equal(detail.body.portalStatus, 'active');
    assert.equal(detail.body.portalUsername, newUsername);
    assert.equal(detail.body.invitation.status, 'used');
    assert.equal(detail.body.invitation.emailStatus, 'sent');

    const admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    const events = await admin.get(`/api/audit-events?filter=${encodeURIComponent(JSON.stringify({ action: 'portal.reset', patientId }))}`);
    assert.equal(events.status, 200);
    assert.equal(events.body.length, 1);
    const event = events.body[0];
    assert.equal(event.actorName, 'Devon Clarke');
    assert.equal(event.reason, 'forgot_credentials');
    assert.equal(event.details.identityVerification, 'phone_dob_and_address');
    assert.equal(event.details.chartChecksumBefore, event.details.chartChecksumAfter);
    assert.equal(event.details.retiredUsername, oldAccount.username);
    const history = await desk.get(`/api/patients/${patientId}/portal-history`);
    const actions = history.body.events.map((e: { action: string }) => e.action);
    for (const action of ['portal.reset', 'email.sent', 'invitation.verified', 'portal.registered'])
      assert.ok(actions.includes(action), `history shows ${action}`);
    const verify = await admin.get('/api/audit-events/verify');
    assert.equal(verify.body.valid, true);
    assert.ok(verify.body.checked > 5);
  });

  it('a reset while the mail server is down still succeeds; the email goes out once it is back, and no table holds the token or PIN', async () => {
    const dispatcher = t.app.get(OutboxDispatcher);
    const [, patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const [patient] = await t.dataSource.query('SELECT * FROM patients WHERE id = ?', [patientId]);
    await smtp.stop();

    const reset = await desk.post(`/api/patients/${patientId}/portal-reset`, RESET);
    assert.equal(reset.status, 201, 'a dead mail server cannot fail a reset');
    await dispatcher.runOnce();
    const [failed] = await t.dataSource.query('SELECT * FROM outbox_messages WHERE subjectId = ?', [reset.body.invitation.id]);
    assert.equal(failed.status, 'retrying');
    assert.ok(failed.lastError);
    assert.equal((await desk.get(`/api/patients/${patientId}`)).body.invitation.emailStatus, 'retrying');

    await smtp.start();
    await t.dataSource.query('UPDATE outbox_messages SET nextAttemptAt = NOW(3) - INTERVAL 1 SECOND WHERE id = ?', [failed.id]);
    await dispatcher.runOnce();
    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email) && /new patient portal account/i.test(m.parsed.subject ?? ''));
    const link = registrationPath(mail.parsed.text ?? '');
    const [sent] = await t.dataSource.query('SELECT * FROM outbox_messages WHERE id = ?', [failed.id]);
    assert.equal(sent.status, 'sent');
    assert.equal(sent.sealedSecret, null);
    assert.equal(smtp.messages.filter((m) => m.envelopeTo.includes(patient.email)).length, 1, 'delivered exactly once');

    const dump = await dumpAllTables(t.dataSource);
    const token = link.split('/').pop()!;
    assert.ok(!dump.includes(token), 'no table holds the link token');
    assert.ok(!new RegExp(`["']${reset.body.invitation.pin}["']`).test(dump), 'no table holds the PIN');
  });
});
