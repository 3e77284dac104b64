import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { AppSecrets } from '../../src/common/app-secrets';
import { VerificationCode } from '../../src/invitations/verification-code.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { GOOD_PASSWORD, PageResponse, PatientBrowser, h1Of, strip } from '../registration/registration-fixtures';
import {
  DEMO_PATIENT_PASSWORD,
  LOCKED_ACCOUNT,
  PortalPatient,
  accountRow,
  auditTrail,
  deliveredResetCode,
  portalPatients,
  requestResetLink,
  resetRow,
  signIn,
  submitForm,
} from './recovery-fixtures';

/** "+15035550123" typed the way people type it: "(503) 555-0123". */
function typedLocally(e164: string): string {
  const d = e164.replace(/\D/g, '').slice(1);
  return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
}

function anotherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/** The reset link's other method: a 6-digit code texted or phoned to the chart's number. */
describe('password reset with a security code sent by text or voice', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let people: PortalPatient[];
  let next = 0;
  const nextPatient = () => people[next++]!;

  before(async () => {
    t = await startTestApp({ seedPatients: 40, label: 'recovcode' });
    people = await portalPatients(t);
  });
  after(async () => t?.close());

  const codesOf = (passwordResetId: string) =>
    t.dataSource.getRepository(VerificationCode).find({ where: { subjectType: 'password_reset', subjectId: passwordResetId }, order: { createdAt: 'ASC' } });

  async function sendCode(browser: PatientBrowser, token: string, phone: string, channel = 'sms'): Promise<PageResponse> {
    return submitForm(browser, `/reset-password/${token}/send-code`, { phone, channel }, `/reset-password/${token}/code`);
  }

  it('end to end: phone number, the texted code, Check, a new password, and signing in with it', async () => {
    const { patient, account } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);

    const form = await browser.get(`/reset-password/${token}/code`);
    assert.match(form.text, /<label for="phone">Phone number<\/label>/);
    assert.match(form.text, /<legend>Send code by<\/legend>/);
    assert.match(form.text, /<label for="channel-sms">Text<\/label>/);
    assert.match(form.text, /<label for="channel-voice">Voice<\/label>/);
    assert.match(form.text, /<button type="submit" class="button">Send security code<\/button>/);

    const page = await browser.post(`/reset-password/${token}/send-code`, { phone: typedLocally(patient.phone!), channel: 'sms' });
    assert.equal(page.status, 200);
    assert.equal(h1Of(page.text), 'Enter your security code');
    assert.match(page.text, /<label for="code">Security code<\/label>/);
    assert.match(page.text, /<button type="submit" class="button">Check<\/button>/);
    assert.match(page.text, /<form method="post" action="\/reset-password\/[^"]+\/resend-code"/);
    assert.match(page.text, /Request the code again/);

    const [message] = await t.dataSource
      .getRepository(OutboxMessage)
      .findBy({ subjectType: 'password_reset', subjectId: request.id, template: 'security-code' });
    assert.equal(message!.channel, 'sms');
    assert.equal(message!.toAddress, patient.phone, 'to the chart’s number');
    const code = t.app.get(AppSecrets).unsealFromOutbox(message!.sealedSecret!);
    assert.match(code, /^\d{6}$/);
    const [stored] = await codesOf(request.id);
    assert.equal(stored!.codeHash, t.app.get(AppSecrets).codeHash(code), 'stored only as its keyed hash');
    const lifetime = new Date(stored!.expiresAt).getTime() - new Date(stored!.createdAt).getTime();
    assert.equal(lifetime, 10 * 60_000);

    const accepted = await browser.post(`/reset-password/${token}/check-code`, { code });
    assert.equal(accepted.status, 303);
    assert.equal(accepted.location, 'new-password');
    const saved = await browser.post(`/reset-password/${token}/new-password`, { newPassword: GOOD_PASSWORD, confirmNewPassword: GOOD_PASSWORD });
    assert.equal(saved.status, 303);
    assert.equal(saved.location, '/login?notice=password-changed');
    assert.equal((await signIn(new PatientBrowser(t.server), account.username, GOOD_PASSWORD)).status, 303);

    const trail = await auditTrail(t, patient.id);
    assert.deepEqual(
      trail.slice(-4).map(([a]) => a),
      ['password_reset.code_sent', 'password_reset.verified', 'password_reset.completed', 'portal.login'],
    );
    const completed = await t.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: 'password_reset.completed', patientId: patient.id });
    assert.equal(JSON.parse(completed.details).method, 'code');
    const changedMail = await t.dataSource.getRepository(OutboxMessage).findOneByOrFail({ patientId: patient.id, template: 'password-changed-email' });
    assert.equal(changedMail.toAddress, patient.email);
  });

  it('a phone number that is not the chart’s counts a failure and sends nothing', async () => {
    const { patient, account } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const phone = patient.phone!;
    const other = phone.slice(0, -1) + String((Number(phone.slice(-1)) + 1) % 10);
    const page = await sendCode(new PatientBrowser(t.server), token, other);
    assert.equal(page.status, 422);
    assert.ok(strip(page.text).includes('Phone number does not match records'));
    assert.equal((await resetRow(t, request.id)).failedAttempts, 1);
    assert.equal((await codesOf(request.id)).length, 0);
  });

  it('a wrong code answers "Invalid PIN or Security Code" and counts; a code works once', async () => {
    const { account, patient } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    await sendCode(browser, token, patient.phone!, 'voice');
    const code = await deliveredResetCode(t, request.id);

    const wrong = await browser.post(`/reset-password/${token}/check-code`, { code: anotherCode(code) });
    assert.equal(wrong.status, 422);
    assert.ok(strip(wrong.text).includes('Invalid PIN or Security Code'));
    assert.equal((await resetRow(t, request.id)).failedAttempts, 1);
    const malformed = await browser.post(`/reset-password/${token}/check-code`, { code: '12' });
    assert.equal(malformed.status, 422);
    assert.equal((await resetRow(t, request.id)).failedAttempts, 1, 'a malformed code is not a guess');

    assert.equal((await browser.post(`/reset-password/${token}/check-code`, { code })).status, 303);
    assert.ok((await codesOf(request.id)).every((c) => c.usedAt));
    const reused = await new PatientBrowser(t.server)
      .get(`/reset-password/${token}/code`)
      .then(() => browser.post(`/reset-password/${token}/check-code`, { code }));
    assert.equal(reused.status, 422);
    assert.ok(strip(reused.text).includes('Invalid PIN or Security Code'), 'a spent code does not work again');
  });

  it('a code older than ten minutes fails and counts', async () => {
    const { account, patient } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    await sendCode(browser, token, patient.phone!);
    const code = await deliveredResetCode(t, request.id);
    await t.dataSource.getRepository(VerificationCode).update({ subjectId: request.id }, { expiresAt: new Date(Date.now() - 1000) });

    const late = await browser.post(`/reset-password/${token}/check-code`, { code });
    assert.equal(late.status, 422);
    assert.ok(strip(late.text).includes('Invalid PIN or Security Code'));
    assert.equal((await resetRow(t, request.id)).failedAttempts, 1);
    assert.deepEqual((await auditTrail(t, patient.id)).at(-1), ['password_reset.verify_failed', 'code_expired']);
  });

  it('"Request the code again" waits a minute between codes and allows five per link', async () => {
    const { account, patient } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);

    const tooEarly = await submitForm(browser, `/reset-password/${token}/resend-code`, {}, `/reset-password/${token}/code`);
    assert.equal(tooEarly.status, 200);
    assert.ok(strip(tooEarly.text).includes('To get a security code, enter your phone number below.'), 'no code yet: back to the phone form');
    assert.equal((await codesOf(request.id)).length, 0);

    await sendCode(browser, token, patient.phone!, 'voice');
    const throttled = await browser.post(`/reset-password/${token}/resend-code`, {});
    assert.ok(/We sent a code less than a minute ago/.test(strip(throttled.text)));
    assert.equal((await codesOf(request.id)).length, 1);

    for (let sent = 2; sent <= 5; sent++) {
      await t.dataSource.query('UPDATE verification_codes SET createdAt = DATE_SUB(createdAt, INTERVAL 61 SECOND) WHERE subjectId = ?', [request.id]);
      const again = await browser.post(`/reset-password/${token}/resend-code`, {});
      assert.ok(strip(again.text).includes('We are calling'), `code ${sent} goes out by voice again`);
      assert.equal((await codesOf(request.id)).length, sent);
    }
    await t.dataSource.query('UPDATE verification_codes SET createdAt = DATE_SUB(createdAt, INTERVAL 61 SECOND) WHERE subjectId = ?', [request.id]);
    const sixth = await browser.post(`/reset-password/${token}/resend-code`, {});
    assert.ok(strip(sixth.text).includes('You have asked for as many codes as this link allows'));
    assert.equal((await codesOf(request.id)).length, 5);
    assert.ok((await codesOf(request.id)).every((c) => c.channel === 'voice'));
  });

  it('failures of any kind add up: phone, code and question failures lock the account at five', async () => {
    const { account, patient, dob } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    await sendCode(browser, token, '503-555-0000');
    await sendCode(browser, token, patient.phone!);
    const code = await deliveredResetCode(t, request.id);
    await browser.post(`/reset-password/${token}/check-code`, { code: anotherCode(code) });
    await submitForm(browser, `/reset-password/${token}/question`, { dateOfBirth: dob, securityAnswer: 'not it' });
    await browser.post(`/reset-password/${token}/check-code`, { code: anotherCode(anotherCode(code)) });
    const fifth = await browser.post(`/reset-password/${token}/check-code`, { code: anotherCode(anotherCode(anotherCode(code))) });

    assert.equal(fifth.status, 403);
    assert.ok(strip(fifth.text).includes(LOCKED_ACCOUNT));
    assert.equal((await accountRow(t, account.id)).lockReason, 'too_many_recovery_failures');
    assert.equal((await browser.post(`/reset-password/${token}/check-code`, { code })).status, 403, 'the right code no longer helps');
    assert.ok(strip((await signIn(new PatientBrowser(t.server), account.username, DEMO_PATIENT_PASSWORD)).text).includes(LOCKED_ACCOUNT));
  });

  it('twelve wrong codes at once count exactly five failures', async () => {
    const { account, patient } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    await sendCode(browser, token, patient.phone!);
    const code = await deliveredResetCode(t, request.id);
    let guess = code;
    const guesses = Array.from({ length: 12 }, () => (guess = anotherCode(guess)));
    const pages = await Promise.all(guesses.map((g) => browser.post(`/reset-password/${token}/check-code`, { code: g })));
    assert.equal(pages.filter((p) => p.status === 422).length, 4);
    assert.equal(pages.filter((p) => p.status === 403).length, 8);
    const row = await resetRow(t, request.id);
    assert.equal(row.failedAttempts, 5);
    assert.equal(row.status, 'locked');
    assert.equal((await auditTrail(t, patient.id)).filter(([a]) => a === 'portal.locked').length, 1);
  });
});
