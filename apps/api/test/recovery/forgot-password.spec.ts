import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { PasswordResetRequest } from '../../src/password-resets/password-reset-request.entity';
import { PortalSession } from '../../src/portal-accounts/portal-session.entity';
import { dumpAllTables } from '../support/fixtures';
import { SmtpCapture, CapturedMail } from '../support/smtp-capture';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { GOOD_PASSWORD, PatientBrowser, h1Of, strip } from '../registration/registration-fixtures';
import {
  DEMO_PATIENT_PASSWORD,
  INVALID_LOGIN,
  INVALID_RESET_TOKEN,
  PortalPatient,
  RESET_REQUESTED,
  accountRow,
  auditTrail,
  assertSameAnswerAndTiming,
  portalPatients,
  signIn,
  submitForm,
  unknownUsername,
  verifyWithQuestion,
} from './recovery-fixtures';

const FROM = 'Maple Grove Portal <portal@maplegrove.test>';

/**
 * "Forgot password" end to end over real SMTP: the form, the email the outbox sends after
 * commit, the link in it, the security question, the new password, and signing in with it.
 */
describe('forgot password → email → security question → new password → sign in', { skip: mysqlSkip }, () => {
  const smtp = new SmtpCapture();
  let t: TestApp;
  let people: PortalPatient[];
  let next = 0;
  const nextPatient = () => people[next++]!;

  before(async () => {
    await smtp.start();
    t = await startTestApp({ seedPatients: 40, label: 'forgotpw', env: { SMTP_URL: smtp.url, MAIL_FROM: FROM, RUN_DISPATCHER: 'true' } });
    people = await portalPatients(t);
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
  });

  const resetMailTo = (email: string, after = 0) =>
    smtp.waitFor((m) => m.envelopeTo.includes(email) && m.parsed.subject === 'Reset your password' && smtp.messages.indexOf(m) >= after);

  async function sentMessage(subjectId: string): Promise<OutboxMessage> {
    for (let waited = 0; ; waited += 100) {
      const message = await t.dataSource.getRepository(OutboxMessage).findOneByOrFail({ subjectId });
      if (message.status === 'sent' || waited > 10_000) {
        assert.equal(message.status, 'sent');
        return message;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The path of the single reset link in the email, checked to appear in both parts. */
  function linkPathIn(mail: CapturedMail): string {
    const links = [...mail.parsed.text!.matchAll(/https?:\/\/\S+\/reset-password\/[A-Za-z0-9_-]+/g)].map((m) => m[0]);
    assert.equal(new Set(links).size, 1, 'one reset link in the text part');
    assert.ok((mail.parsed.html as string).includes(`href="${links[0]}"`), 'the HTML part links to it too');
    return new URL(links[0]!).pathname;
  }

  it('the whole story: the email, the question, the new password, the confirmation email, and signing in with it', async () => {
    const { patient, account, dob } = nextPatient();
    const browser = new PatientBrowser(t.server);
    const otherDevice = new PatientBrowser(t.server);
    assert.equal((await signIn(otherDevice, account.username, DEMO_PATIENT_PASSWORD)).status, 303, 'signed in elsewhere beforehand');

    const form = await browser.get('/forgot-password');
    assert.equal(h1Of(form.text), 'Forgot your password?');
    assert.match(form.text, /<label for="username">Username<\/label>/);
    assert.match(form.text, /<button type="submit" class="button">Reset Password<\/button>/);
    const sent = await browser.post('/forgot-password', { username: account.username });
    assert.equal(sent.status, 200);
    assert.ok(strip(sent.text).includes(RESET_REQUESTED));

    const mail = await resetMailTo(patient.email!);
    assert.deepEqual(mail.envelopeTo, [patient.email]);
    assert.equal(mail.parsed.from?.value[0]?.address, 'portal@maplegrove.test');
    assert.equal(mail.parsed.subject, 'Reset your password');
    assert.ok(mail.parsed.text!.includes('valid for 1 hour'), mail.parsed.text);
    const path = linkPathIn(mail);
    const token = path.split('/').pop()!;
    const [request] = await t.dataSource.getRepository(PasswordResetRequest).findBy({ portalAccountId: account.id });
    assert.equal(request!.status, 'pending');
    const lifetime = new Date(request!.expiresAt).getTime() - new Date(request!.createdAt).getTime();
    assert.equal(lifetime, 3_600_000, 'valid one hour');
    // The SMTP server has the mail a moment before the dispatcher records the outcome.
    const message = await sentMessage(request!.id);
    assert.equal(message.sealedSecret, null, 'once sent, no table holds the token, not even sealed');
    assert.ok(!(await dumpAllTables(t.dataSource)).includes(token), 'the token is stored nowhere');

    const choose = await browser.get(path);
    assert.equal(choose.status, 200);
    assert.equal(h1Of(choose.text), 'Reset your password');
    assert.match(choose.text, /<a class="button" href="\/reset-password\/[^"]+\/question">Answer my security question<\/a>/);
    assert.match(choose.text, /<a class="button button--secondary" href="\/reset-password\/[^"]+\/code">Send me a security code<\/a>/);

    const question = await browser.get(`${path}/question`);
    assert.match(question.text, /<label for="dateOfBirth">Date of birth \(YYYYMMDD\)<\/label>/);
    assert.ok(strip(question.text).includes(account.securityQuestion!), 'shows the patient’s own question');
    const newPasswordPage = await verifyWithQuestion(browser, token, dob, '  BISCUIT ');
    assert.match(newPasswordPage.text, /<label for="newPassword">New password<\/label>/);
    assert.match(newPasswordPage.text, /<label for="confirmNewPassword">Confirm new password<\/label>/);
    assert.match(newPasswordPage.text, /<button type="submit" class="button">Save password<\/button>/);

    const weak = await browser.post(`${path}/new-password`, { newPassword: 'password1234', confirmNewPassword: 'password1234' });
    assert.equal(weak.status, 422);
    assert.ok(strip(weak.text).includes('Your password does not meet security requirements:'));
    const mismatched = await browser.post(`${path}/new-password`, { newPassword: GOOD_PASSWORD, confirmNewPassword: `${GOOD_PASSWORD}x` });
    assert.equal(mismatched.status, 422);
    assert.ok(strip(mismatched.text).includes('The passwords do not match.'));
    assert.ok(!mismatched.text.includes(GOOD_PASSWORD), 'passwords are never sent back');

    const saved = await browser.post(`${path}/new-password`, { newPassword: GOOD_PASSWORD, confirmNewPassword: GOOD_PASSWORD });
    assert.equal(saved.status, 303);
    assert.equal(saved.location, '/login?notice=password-changed');
    const login = await browser.get(saved.location!);
    assert.ok(strip(login.text).includes('Your password has been changed. Sign in with your new password.'));

    const changedMail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email!) && m.parsed.subject === 'Your password was changed');
    assert.ok(changedMail.parsed.text!.includes(account.username));

    assert.equal((await otherDevice.get('/login/signed-in')).location, '/login', 'every other session ended');
    assert.ok((await t.dataSource.getRepository(PortalSession).findBy({ portalAccountId: account.id })).every((s) => s.revokedAt));
    assert.equal((await signIn(new PatientBrowser(t.server), account.username, DEMO_PATIENT_PASSWORD)).status, 401, 'the old password is gone');
    const withNew = new PatientBrowser(t.server);
    assert.equal((await signIn(withNew, account.username, GOOD_PASSWORD)).status, 303);
    assert.ok(strip((await withNew.get('/login/signed-in')).text).includes(`You are signed in as ${account.username}`));

    const reopened = await new PatientBrowser(t.server).get(path);
    assert.equal(reopened.status, 410);
    assert.equal(h1Of(reopened.text), INVALID_RESET_TOKEN, 'the link works once');

    const trail = (await auditTrail(t, patient.id)).map(([action, reason]) => `${action}${reason ? `:${reason}` : ''}`).filter((a) => !a.startsWith('email.'));
    assert.deepEqual(trail, [
      'portal.login',
      'password_reset.requested:link_sent',
      'password_reset.verified',
      'portal.sessions_ended:recovery',
      'password_reset.completed',
      'portal.login_failed:wrong_password',
      'portal.login',
    ]);
    const completed = await t.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'password_reset.completed', patientId: patient.id });
    assert.equal(completed.actorType, 'patient');
    assert.equal(completed.actorId, patient.id);
    assert.equal(completed.actorName, `${patient.firstName} ${patient.lastName}`);
    const details = JSON.parse(completed.details);
    assert.equal(details.method, 'security_question');
    assert.equal(details.revokedSessions, 1);
  });

  it('answers the same page, status and time for a username that exists and one that does not, and mails only the real one', async () => {
    const { patient, account } = nextPatient();
    const browser = new PatientBrowser(t.server);
    await browser.get('/forgot-password');
    const mailsBefore = smtp.messages.length;
    const requestsBefore = await t.dataSource.getRepository(PasswordResetRequest).count();

    await assertSameAnswerAndTiming(
      (fields) => browser.post('/forgot-password', fields),
      () => ({ username: account.username }),
      () => ({ username: unknownUsername() }),
    );

    // 12 requests for the real account: five links an hour, the rest answered alike but not sent.
    const requests = await t.dataSource.getRepository(PasswordResetRequest).count();
    assert.equal(requests - requestsBefore, 5);
    const trail = await auditTrail(t, patient.id);
    assert.equal(trail.filter(([a, r]) => a === 'password_reset.requested' && r === 'link_sent').length, 5);
    assert.equal(trail.filter(([a, r]) => a === 'password_reset.requested' && r === 'throttled').length, 7);
    await smtp.waitFor(() => smtp.messages.slice(mailsBefore).filter((m) => m.parsed.subject === 'Reset your password').length >= 5);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const resetMails = smtp.messages.slice(mailsBefore).filter((m) => m.parsed.subject === 'Reset your password');
    assert.ok(
      resetMails.every((m) => m.envelopeTo.join() === patient.email),
      'nothing is sent for unknown usernames',
    );
    // Only the newest link is live: each request revoked the one before.
    assert.equal(await t.dataSource.getRepository(PasswordResetRequest).countBy({ portalAccountId: account.id, status: 'pending' }), 1);
  });

  it('a new request revokes the older link, which then shows the not-valid page', async () => {
    const { patient, account } = nextPatient();
    const mailsBefore = smtp.messages.length;
    await submitForm(new PatientBrowser(t.server), '/forgot-password', { username: account.username });
    const firstPath = linkPathIn(await resetMailTo(patient.email!, mailsBefore));
    const between = smtp.messages.length;
    await submitForm(new PatientBrowser(t.server), '/forgot-password', { username: account.username });
    const secondPath = linkPathIn(await resetMailTo(patient.email!, between));
    assert.notEqual(firstPath, secondPath);

    const old = await new PatientBrowser(t.server).get(firstPath);
    assert.equal(old.status, 410);
    assert.equal(h1Of(old.text), INVALID_RESET_TOKEN);
    assert.ok(old.text.includes('href="/forgot-password"'), 'offers to send a new link');
    assert.equal((await new PatientBrowser(t.server).get(secondPath)).status, 200);
    const statuses = (await t.dataSource.getRepository(PasswordResetRequest).find({ where: { portalAccountId: account.id }, order: { createdAt: 'ASC' } })).map(
      (r) => r.status,
    );
    assert.deepEqual(statuses, ['revoked', 'pending']);
  });

  it('a reset by email also clears a sign-in lock', async () => {
    const { patient, account, dob } = nextPatient();
    const browser = new PatientBrowser(t.server);
    for (let i = 0; i < 5; i++) await signIn(browser, account.username, 'Not-the-password-at-all-9');
    assert.equal((await accountRow(t, account.id)).status, 'locked');
    assert.ok(strip((await signIn(browser, account.username, 'Not-the-password-at-all-9')).text).includes(INVALID_LOGIN));

    const mailsBefore = smtp.messages.length;
    await submitForm(browser, '/forgot-password', { username: account.username });
    const path = linkPathIn(await resetMailTo(patient.email!, mailsBefore));
    await verifyWithQuestion(browser, path.split('/').pop()!, dob);
    const saved = await browser.post(`${path}/new-password`, { newPassword: GOOD_PASSWORD, confirmNewPassword: GOOD_PASSWORD });
    assert.equal(saved.status, 303);

    const row = await accountRow(t, account.id);
    assert.equal(row.status, 'active');
    assert.equal(row.lockReason, null);
    assert.equal(row.failedLoginCount, 0);
    assert.equal((await signIn(new PatientBrowser(t.server), account.username, GOOD_PASSWORD)).status, 303);
    const completed = await t.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'password_reset.completed', patientId: patient.id });
    assert.equal(JSON.parse(completed.details).clearedLockReason, 'too_many_login_failures');
  });
});
