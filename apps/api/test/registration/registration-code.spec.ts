import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { AppSecrets } from '../../src/common/app-secrets';
import { VerificationCode } from '../../src/invitations/verification-code.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { Patient } from '../../src/patients/patient.entity';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { IssuedLink, PatientBrowser, h1Of, invitationRow, issueInvitation, patientsOf, strip } from './registration-fixtures';

/** "+15035550123" typed the way people type it: "(503) 555-0123". */
function typedLocally(e164: string): string {
  const d = e164.replace(/\D/g, '').slice(1);
  return `(${d.slice(0, 3)}) ${d.slice(3, 6)}-${d.slice(6)}`;
}

describe('registration link: verifying with a security code sent by text or voice', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let secrets: AppSecrets;
  let patients: Patient[];
  let next = 0;
  const nextPatient = () => patients[next++]!;

  before(async () => {
    t = await startTestApp({ seedPatients: 30, label: 'regcode' });
    secrets = t.app.get(AppSecrets);
    patients = await patientsOf(t);
  });
  after(async () => t?.close());

  const codesOf = (invitationId: string) =>
    t.dataSource.getRepository(VerificationCode).find({ where: { subjectId: invitationId }, order: { createdAt: 'ASC' } });
  const messagesOf = (invitationId: string) =>
    t.dataSource.getRepository(OutboxMessage).find({ where: { subjectId: invitationId }, order: { createdAt: 'ASC' } });

  async function opened(link: IssuedLink): Promise<PatientBrowser> {
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);
    return browser;
  }

  async function sendCode(browser: PatientBrowser, link: IssuedLink, channel = 'sms') {
    return browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, phone: typedLocally(link.patient.phone!), channel, via: 'phone' });
  }

  /** The code the patient's phone would receive, read from the outbox the way the sender does. */
  async function deliveredCode(invitationId: string): Promise<string> {
    const latest = (await messagesOf(invitationId)).at(-1)!;
    return secrets.unsealFromOutbox(latest.sealedSecret!);
  }

  it('a phone number that is not the chart’s counts a failure and sends nothing', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    const phone = link.patient.phone!;
    const other = phone.slice(0, -1) + String((Number(phone.slice(-1)) + 1) % 10);

    const page = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, phone: other, channel: 'sms', via: 'phone' });

    assert.equal(page.status, 422);
    assert.ok(page.text.includes('Phone number does not match records'));
    assert.match(page.text, /id="phone" name="phone" type="tel" value="[^"]+"[^>]*aria-invalid="true"/);
    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 1);
    assert.equal((await codesOf(link.invitationId)).length, 0);
    assert.equal((await messagesOf(link.invitationId)).length, 0);
  });

  it('the phone path also needs the right date of birth', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    const page = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: '19000101', phone: link.patient.phone!, channel: 'sms', via: 'phone' });

    assert.equal(page.status, 422);
    assert.ok(page.text.includes('Your date of birth does not match our records.'));
    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 1);
    assert.equal((await messagesOf(link.invitationId)).length, 0);
  });

  it('sends a 6-digit code to the chart’s phone through the outbox, sealed, valid for 10 minutes', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    const started = Date.now();

    const page = await sendCode(browser, link);

    assert.equal(page.status, 200);
    assert.equal(h1Of(page.text), 'Enter your security code');
    assert.match(page.text, /<label for="code">Security code<\/label>/);
    assert.match(page.text, /<input id="code" name="code" type="text" autocomplete="one-time-code" inputmode="numeric"/);
    assert.match(page.text, /<button type="submit" class="button">Check<\/button>/);
    assert.match(page.text, /<form method="post" action="\/register\/[^"]+\/resend-code"/);
    assert.match(page.text, /<button type="submit" class="link-button">Request the code again<\/button>/);
    assert.ok(strip(page.text).includes(`ending in ${link.patient.phone!.slice(-4)}`));

    const [message] = await messagesOf(link.invitationId);
    assert.ok(message);
    assert.equal(message.template, 'security-code');
    assert.equal(message.channel, 'sms');
    assert.equal(message.toAddress, link.patient.phone);
    assert.equal(message.subjectType, 'registration_invitation');
    assert.equal(message.subjectId, link.invitationId);
    assert.equal(message.patientId, link.patient.id);
    assert.equal(message.status, 'queued');
    assert.match(message.sealedSecret!, /^v1\./);
    const code = secrets.unsealFromOutbox(message.sealedSecret!);
    assert.match(code, /^\d{6}$/);
    assert.ok(!message.sealedSecret!.includes(code));

    const [stored] = await codesOf(link.invitationId);
    assert.equal(stored!.codeHash, secrets.codeHash(code));
    assert.equal(stored!.channel, 'sms');
    assert.equal(stored!.usedAt, null);
    const lifetime = new Date(stored!.expiresAt).getTime() - started;
    assert.ok(lifetime > 9.9 * 60_000 && lifetime <= 10 * 60_000 + 5_000, `expires in 10 minutes (${lifetime} ms)`);

    const [event] = await t.dataSource.getRepository(AuditEvent).findBy({ action: 'invitation.code_sent', patientId: link.patient.id });
    assert.deepEqual(JSON.parse(event!.details), {
      invitationId: link.invitationId,
      channel: 'sms',
      sentTo: `***-***-${link.patient.phone!.slice(-4)}`,
      outboxMessageId: message.id,
    });
    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 0);
  });

  it('accepts the phone number however it is written and sends by voice when asked', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    const digits = link.patient.phone!.replace(/\D/g, '').slice(1);
    const page = await browser.post(`/register/${link.token}/verify`, {
      dateOfBirth: link.dob,
      phone: `+1 ${digits.slice(0, 3)} ${digits.slice(3, 6)} ${digits.slice(6)}`,
      channel: 'voice',
      via: 'phone',
    });
    assert.equal(page.status, 200);
    assert.ok(strip(page.text).includes('We are calling'));
    const [message] = await messagesOf(link.invitationId);
    assert.equal(message!.channel, 'voice');
    assert.equal(message!.toAddress, link.patient.phone);

    const dashed = await issueInvitation(t, nextPatient());
    const other = await opened(dashed);
    const d = dashed.patient.phone!.replace(/\D/g, '').slice(1);
    const sent = await other.post(`/register/${dashed.token}/verify`, {
      dateOfBirth: dashed.dob,
      phone: `${d.slice(0, 3)}-${d.slice(3, 6)}-${d.slice(6)}`,
      channel: 'sms',
      via: 'phone',
    });
    assert.equal(sent.status, 200);
  });

  it('pressing Enter in the phone field (which submits the PIN button) still sends a code', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    const page = await browser.post(`/register/${link.token}/verify`, {
      dateOfBirth: link.dob,
      pin: '',
      phone: link.patient.phone!,
      channel: 'sms',
      via: 'pin',
    });
    assert.equal(page.status, 200);
    assert.equal(h1Of(page.text), 'Enter your security code');
    assert.equal((await messagesOf(link.invitationId)).length, 1);
  });

  it('a wrong code counts a failure; the right code verifies, leads to step 2, and works only once', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    await sendCode(browser, link);
    const code = await deliveredCode(link.invitationId);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');

    const refused = await browser.post(`/register/${link.token}/check-code`, { code: wrong });
    assert.equal(refused.status, 422);
    assert.ok(refused.text.includes('Invalid PIN or Security Code'));
    assert.match(refused.text, /id="code"[^>]*aria-invalid="true"/);
    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 1);

    const malformed = await browser.post(`/register/${link.token}/check-code`, { code: '12' });
    assert.equal(malformed.status, 422);
    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 1, 'a malformed code is not a guess');

    const accepted = await browser.post(`/register/${link.token}/check-code`, { code });
    assert.equal(accepted.status, 303);
    assert.equal(accepted.location, 'account');
    const step2 = await browser.follow(`/register/${link.token}/check-code`, accepted);
    assert.equal(step2.status, 200);
    assert.equal(h1Of(step2.text), 'Create your account');

    const row = await invitationRow(t, link.invitationId);
    assert.equal(row.verifiedBy, 'code');
    assert.ok(row.verifiedAt);
    assert.ok((await codesOf(link.invitationId))[0]!.usedAt);
    const reasons = (await t.dataSource.getRepository(AuditEvent).find({ where: { patientId: link.patient.id }, order: { seq: 'ASC' } })).map((e) => [
      e.action,
      e.reason,
    ]);
    assert.deepEqual(reasons, [
      ['invitation.code_sent', null],
      ['invitation.verify_failed', 'code_mismatch'],
      ['invitation.verified', null],
    ]);

    const reused = await browser.post(`/register/${link.token}/check-code`, { code });
    assert.equal(reused.status, 422);
    assert.ok(reused.text.includes('Invalid PIN or Security Code'));
    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 2);
  });

  it('an expired code fails and counts', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    await sendCode(browser, link);
    const code = await deliveredCode(link.invitationId);
    await t.dataSource.getRepository(VerificationCode).update({ subjectId: link.invitationId }, { expiresAt: new Date(Date.now() - 1000) });

    const page = await browser.post(`/register/${link.token}/check-code`, { code });

    assert.equal(page.status, 422);
    assert.ok(page.text.includes('Invalid PIN or Security Code'));
    const row = await invitationRow(t, link.invitationId);
    assert.equal(row.failedAttempts, 1);
    assert.equal(row.verifiedAt, null);
    const [failed] = await t.dataSource.getRepository(AuditEvent).findBy({ action: 'invitation.verify_failed', patientId: link.patient.id });
    assert.equal(failed!.reason, 'code_expired');
  });

  it('"Request the code again" is refused within a minute, then resends, at most five codes per link', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    await sendCode(browser, link, 'voice');
    const backdate = () =>
      t.dataSource.query('UPDATE verification_codes SET createdAt = DATE_SUB(createdAt, INTERVAL 61 SECOND) WHERE subjectId = ?', [link.invitationId]);

    const tooSoon = await browser.post(`/register/${link.token}/resend-code`, {});
    assert.equal(tooSoon.status, 200);
    assert.match(strip(tooSoon.text), /You can ask for a new code in (5\d|60) seconds\./);
    assert.equal((await messagesOf(link.invitationId)).length, 1);

    // Going back to step 1 and sending again is throttled the same way.
    const again = await sendCode(browser, link, 'sms');
    assert.match(strip(again.text), /You can ask for a new code in \d+ seconds?\./);
    assert.equal((await messagesOf(link.invitationId)).length, 1);

    for (let n = 2; n <= 5; n++) {
      await backdate();
      const resent = await browser.post(`/register/${link.token}/resend-code`, {});
      assert.equal(resent.status, 200);
      assert.ok(strip(resent.text).includes('We are calling'), `resend ${n}`);
      const messages = await messagesOf(link.invitationId);
      assert.equal(messages.length, n);
      assert.equal(messages.at(-1)!.channel, 'voice', 'the same channel as the first code');
      assert.equal(messages.at(-1)!.toAddress, link.patient.phone);
    }

    await backdate();
    const sixth = await browser.post(`/register/${link.token}/resend-code`, {});
    assert.equal(sixth.status, 200);
    assert.match(strip(sixth.text), /as many codes as this link allows/);
    assert.equal((await codesOf(link.invitationId)).length, 5);
    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 0, 'asking again is not a failure');

    // Any of the link's unused codes still works (texts can arrive out of order).
    const codes = await Promise.all((await messagesOf(link.invitationId)).map((m) => secrets.unsealFromOutbox(m.sealedSecret!)));
    const accepted = await browser.post(`/register/${link.token}/check-code`, { code: codes[1]! });
    assert.equal(accepted.status, 303);
    assert.ok(
      (await codesOf(link.invitationId)).every((c) => c.usedAt),
      'verifying spends every code of the link',
    );
  });

  it('asking to resend before any code was sent leads back to step 1 and sends nothing', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await opened(link);
    const page = await browser.post(`/register/${link.token}/resend-code`, {});
    assert.equal(page.status, 200);
    assert.equal(h1Of(page.text), "Verify it's you");
    assert.match(strip(page.text), /enter your date of birth and phone number/);
    assert.equal((await messagesOf(link.invitationId)).length, 0);
  });
});
