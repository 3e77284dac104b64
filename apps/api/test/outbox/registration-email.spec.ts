import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppSecrets } from '../../src/common/app-secrets';
import { RegistrationInvitation } from '../../src/invitations/registration-invitation.entity';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { PasswordResetRequest } from '../../src/password-resets/password-reset-request.entity';
import { Patient } from '../../src/patients/patient.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { demoPatientId } from '../../src/seed/demo-seed';
import { SmtpCapture } from '../support/smtp-capture';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import {
  MAPLE_GROVE,
  auditEventsFor,
  createPendingInvitation,
  enqueue,
  enqueueAccountReady,
  enqueueRegistrationEmail,
  everyCell,
  openAccountOf,
  outboxRow,
  patientWithEmail,
} from './outbox-fixtures';

const PUBLIC_URL = 'https://portal.maplegrove.test';
const FROM = 'Maple Grove Portal <portal@maplegrove.test>';

describe('registration and account emails over SMTP', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let dispatcher: OutboxDispatcher;
  const smtp = new SmtpCapture();

  before(async () => {
    await smtp.start();
    t = await startTestApp({ seedPatients: 20, label: 'outboxmail', env: { SMTP_URL: smtp.url, PUBLIC_URL, MAIL_FROM: FROM } });
    dispatcher = t.app.get(OutboxDispatcher);
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
  });

  const mailFor = (outboxId: string) => smtp.waitFor((m) => m.parsed.headers.get('x-resetdesk-message-id') === outboxId);

  describe('a registration email queued in a reset-like transaction', () => {
    let patient: Patient;
    let token: string;
    let pin: string;
    let outboxId: string;

    before(async () => {
      patient = await patientWithEmail(t, MAPLE_GROVE, 0);
      const issued = await createPendingInvitation(t, patient, new Date('2036-11-27T23:04:00Z'));
      token = issued.token;
      pin = issued.pin;
      outboxId = (await enqueueRegistrationEmail(t, issued)).id;
      assert.equal(await dispatcher.runOnce(), 1);
    });

    it('reaches the chart address from MAIL_FROM with the practice in the subject, as HTML and plain text', async () => {
      const mail = await mailFor(outboxId);
      assert.deepEqual(mail.envelopeTo, [patient.email]);
      assert.equal(mail.parsed.from?.value[0]?.address, 'portal@maplegrove.test');
      assert.equal(mail.parsed.from?.value[0]?.name, 'Maple Grove Portal');
      assert.equal(mail.parsed.subject, 'Create your new patient portal account at Maple Grove Family Medicine');
      assert.ok(mail.parsed.text, 'a plain-text part');
      assert.ok(typeof mail.parsed.html === 'string' && mail.parsed.html.length > 0, 'an HTML part');
      // juice inlined the layout's stylesheet: mail clients drop <style> blocks.
      assert.doesNotMatch(mail.parsed.html, /<style/i);
      assert.match(mail.parsed.html, /<a class="button" href="[^"]+" style="[^"]*background-color: #0b5cad/);
    });

    it('carries the link with the exact token, in both parts', async () => {
      const mail = await mailFor(outboxId);
      const link = `${PUBLIC_URL}/register/${token}`;
      assert.ok(mail.parsed.text!.includes(link), 'text part has the link');
      assert.ok((mail.parsed.html as string).includes(`href="${link}"`), 'HTML part links to it');
    });

    it('greets by first name only and gives the practice phone, the expiry in the practice time zone, and what to have ready', async () => {
      const mail = await mailFor(outboxId);
      for (const body of [mail.parsed.text!, mail.parsed.html as string]) {
        assert.ok(body.includes(`Hello ${patient.firstName},`), 'first-name greeting');
        assert.ok(!body.includes(patient.lastName), 'no last name');
        assert.ok(!body.includes(patient.mrn), 'no MRN');
        assert.ok(!body.includes(patient.dateOfBirth) && !body.includes(patient.dateOfBirth.replace(/-/g, '')), 'no date of birth');
        assert.ok(body.includes('(503) 555-0100'), 'practice phone');
        assert.ok(body.includes('Thursday, November 27, 2036 at 3:04 PM PST'), 'expiry in America/Los_Angeles');
        assert.ok(body.includes('date of birth'), 'asks for the date of birth');
        assert.ok(body.includes('PIN the office gave you'), 'mentions the PIN from the office');
        assert.match(body, /new username/i);
        assert.ok(body.includes('old username was retired'), 'explains the old username is retired');
        assert.ok(body.includes('If you did not ask for this, call the office'), 'tells what to do if unexpected');
      }
      assert.ok(mail.parsed.text!.includes('NEW username'));
    });

    it('never contains the PIN', async () => {
      const mail = await mailFor(outboxId);
      assert.ok(
        !mail.parsed.text!.includes(pin) && !(mail.parsed.html as string).includes(pin) && !mail.parsed.subject!.includes(pin),
        'the PIN is in no part',
      );
      assert.doesNotMatch(mail.parsed.text!, /\b\d{6}\b/, 'no 6-digit number at all in the text');
    });

    it('is recorded as sent: subject kept, provider id kept, sealed link erased, email.sent audited by the system', async () => {
      const row = await outboxRow(t, outboxId);
      assert.equal(row.status, 'sent');
      assert.equal(row.sealedSecret, null);
      assert.equal(row.subject, 'Create your new patient portal account at Maple Grove Family Medicine');
      assert.ok(row.sentAt instanceof Date);
      assert.ok(row.providerMessageId && row.providerMessageId.length > 0);
      assert.equal(row.claimedUntil, null);
      assert.equal(row.attempts, 1, 'the successful delivery counts as an attempt');
      const events = await auditEventsFor(t, outboxId);
      assert.deepEqual(
        events.map((e) => e.action),
        ['email.sent'],
      );
      assert.equal(events[0]!.actorType, 'system');
      assert.equal(events[0]!.details.template, 'registration-email');
      assert.equal(events[0]!.details.to, `${patient.email![0]}***@example.com`, 'the audit log keeps a masked address');
      assert.equal(events[0]!.details.attempts, 1);
    });

    it('leaves the token in no cell of any table once sent', async () => {
      const cells = await everyCell(t);
      const holding = cells.filter((c) => c.value.includes(token));
      assert.deepEqual(
        holding.map((c) => c.where),
        [],
      );
      // Sanity: the dump really covers the outbox and invitation rows.
      assert.ok(cells.some((c) => c.where.startsWith('outbox_messages') && c.value === outboxId));
      assert.ok(cells.some((c) => c.where.startsWith('registration_invitations') && c.value === t.app.get(AppSecrets).tokenHash(token)));
    });

    it('carries a Message-ID made of its outbox id and the host of PUBLIC_URL, so a repeat is recognisably the same message', async () => {
      const mail = await mailFor(outboxId);
      assert.equal(mail.parsed.messageId, `<${outboxId}@portal.maplegrove.test>`);
      assert.equal((await outboxRow(t, outboxId)).providerMessageId, `<${outboxId}@portal.maplegrove.test>`);
    });

    it('is not sent a second time', async () => {
      assert.equal(await dispatcher.runOnce(), 0);
      assert.equal(smtp.messages.filter((m) => m.parsed.headers.get('x-resetdesk-message-id') === outboxId).length, 1);
    });
  });

  it('does not send a link that was revoked while the email waited: dead, "Invitation no longer pending; not sent", secret erased', async () => {
    const patient = await patientWithEmail(t, MAPLE_GROVE, 1);
    const issued = await createPendingInvitation(t, patient);
    const message = await enqueueRegistrationEmail(t, issued);
    await t.dataSource
      .getRepository(RegistrationInvitation)
      .update({ id: issued.invitation.id }, { status: 'revoked', pendingMarker: null, revokedAt: new Date() });
    const before = smtp.messages.length;

    assert.equal(await dispatcher.runOnce(), 1);

    const row = await outboxRow(t, message.id);
    assert.equal(row.status, 'dead');
    assert.equal(row.lastError, 'Invitation no longer pending; not sent');
    assert.equal(row.sealedSecret, null);
    assert.equal(row.sentAt, null);
    assert.equal(smtp.messages.length, before, 'nothing reached the mail server');
    const events = await auditEventsFor(t, message.id);
    assert.deepEqual(
      events.map((e) => [e.action, e.details.dead]),
      [['email.failed', true]],
    );
  });

  it('cancels, without a failure event, an email whose invitation the front desk replaced while it waited', async () => {
    const patient = await patientWithEmail(t, MAPLE_GROVE, 5);
    const first = await createPendingInvitation(t, patient);
    const stale = await enqueueRegistrationEmail(t, first);
    const second = await createPendingInvitation(t, patient);
    // Issued by a member of staff, as a reset or a resend issues it.
    await t.dataSource.getRepository(RegistrationInvitation).update({ id: second.invitation.id }, { createdByStaffId: randomUUID() });
    const current = await enqueueRegistrationEmail(t, second);

    assert.equal(await dispatcher.runOnce(), 2);

    const row = await outboxRow(t, stale.id);
    assert.equal(row.status, 'cancelled');
    assert.equal(row.lastError, 'Replaced by a newer invitation; not sent');
    assert.equal(row.sealedSecret, null, 'a cancelled message keeps no secret');
    assert.equal(row.sentAt, null);
    assert.deepEqual(await auditEventsFor(t, stale.id), [], 'a replaced message is not a delivery failure');
    assert.equal((await outboxRow(t, current.id)).status, 'sent', 'the newer invitation’s email goes out');
    assert.equal(smtp.messages.filter((m) => m.parsed.headers.get('x-resetdesk-message-id') === stale.id).length, 0);
  });

  it('escapes chart data in the HTML part and keeps it readable in the text part', async () => {
    const patient = await patientWithEmail(t, MAPLE_GROVE, 2);
    await t.dataSource.getRepository(Patient).update({ id: patient.id }, { firstName: `Zoë <img src=x onerror=alert(1)> "O'Hara" & co` });
    const issued = await createPendingInvitation(t, patient);
    const message = await enqueueRegistrationEmail(t, issued);
    await dispatcher.runOnce();
    const mail = await mailFor(message.id);
    const html = mail.parsed.html as string;
    assert.ok(!html.includes('<img'), 'no markup from the chart in the HTML');
    assert.ok(html.includes('Hello Zoë &lt;img src&#x3D;x onerror&#x3D;alert(1)&gt; &quot;O&#x27;Hara&quot; &amp; co,'), 'the name arrives escaped');
    assert.ok(mail.parsed.text!.includes(`Hello Zoë <img src=x onerror=alert(1)> "O'Hara" & co,`), 'plain text is not HTML-escaped');
  });

  it('sends "Your patient portal account is ready" with the username and the sign-in link', async () => {
    const account = await openAccountOf(t, MAPLE_GROVE);
    const patient = await t.dataSource.getRepository(Patient).findOneByOrFail({ id: account.patientId });
    const message = await enqueueAccountReady(t, account, 'ready@example.com');
    assert.equal(await dispatcher.runOnce(), 1);
    const mail = await mailFor(message.id);
    assert.equal(mail.parsed.subject, 'Your patient portal account is ready');
    for (const body of [mail.parsed.text!, mail.parsed.html as string]) {
      assert.ok(body.includes(`Hello ${patient.firstName},`));
      assert.ok(body.includes(account.username), 'shows the username');
      assert.ok(body.includes(`${PUBLIC_URL}/login`), 'links to sign-in');
      assert.ok(body.includes("If this wasn't you, call the office"));
      assert.ok(!body.includes(patient.lastName));
    }
  });

  it('sends the password reset email with its one-hour link, then erases the token', async () => {
    const account = await openAccountOf(t, MAPLE_GROVE);
    const secrets = t.app.get(AppSecrets);
    const { token, tokenHash } = secrets.newToken();
    const createdAt = new Date();
    const request: PasswordResetRequest = {
      id: randomUUID(),
      practiceId: account.practiceId,
      patientId: account.patientId,
      portalAccountId: account.id,
      tokenHash,
      status: 'pending',
      expiresAt: new Date(createdAt.getTime() + 3_600_000),
      failedAttempts: 0,
      verifiedAt: null,
      usedAt: null,
      revokedAt: null,
      createdAt,
    };
    await t.dataSource.getRepository(PasswordResetRequest).insert(request);
    const message = await enqueue(t, {
      practiceId: account.practiceId,
      patientId: account.patientId,
      channel: 'email',
      template: 'password-reset-email',
      toAddress: 'reset@example.com',
      subjectType: 'password_reset',
      subjectId: request.id,
      sealedSecret: secrets.sealForOutbox(token),
    });
    assert.equal(await dispatcher.runOnce(), 1);
    const mail = await mailFor(message.id);
    assert.equal(mail.parsed.subject, 'Reset your password');
    assert.ok(mail.parsed.text!.includes(`${PUBLIC_URL}/reset-password/${token}`));
    assert.ok((mail.parsed.html as string).includes(`href="${PUBLIC_URL}/reset-password/${token}"`));
    assert.ok(mail.parsed.text!.includes('valid for 1 hour'));
    assert.equal((await outboxRow(t, message.id)).sealedSecret, null);
    assert.ok(!(await everyCell(t)).some((c) => c.value.includes(token)));
  });

  it('sends "Your password was changed" and the username reminder listing only non-closed accounts', async () => {
    // Seeded patient 7 of each practice has a closed account ("….old") and a current one.
    const patientId = demoPatientId('maple-grove', 7);
    const accounts = await t.dataSource.getRepository(PortalAccount).find({ where: { patientId } });
    const open = accounts.find((a) => a.status !== 'closed')!;
    const closed = accounts.find((a) => a.status === 'closed')!;
    assert.ok(open && closed, 'fixture: one open and one closed account');

    const changed = await enqueue(t, {
      practiceId: open.practiceId,
      patientId,
      channel: 'email',
      template: 'password-changed-email',
      toAddress: 'changed@example.com',
      subjectType: 'portal_account',
      subjectId: open.id,
    });
    const reminder = await enqueue(t, {
      practiceId: open.practiceId,
      patientId,
      channel: 'email',
      template: 'username-reminder-email',
      toAddress: 'reminder@example.com',
      subjectType: 'patient',
      subjectId: patientId,
    });
    assert.equal(await dispatcher.runOnce(), 2);

    const changedMail = await mailFor(changed.id);
    assert.equal(changedMail.parsed.subject, 'Your password was changed');
    assert.ok(changedMail.parsed.text!.includes(open.username));
    assert.match(changedMail.parsed.text!, /changed on \w+day, \w+ \d{1,2}, \d{4} at \d{1,2}:\d{2} [AP]M P[SD]T/);
    assert.ok(changedMail.parsed.text!.includes("If this wasn't you, call the office right away at (503) 555-0100"));

    const reminderMail = await mailFor(reminder.id);
    assert.equal(reminderMail.parsed.subject, 'Your patient portal username');
    for (const body of [reminderMail.parsed.text!, reminderMail.parsed.html as string]) {
      assert.ok(body.includes(open.username), 'lists the open account');
      assert.ok(!body.includes(closed.username), 'not the closed one');
      assert.ok(body.includes(`${PUBLIC_URL}/login`));
    }
  });
});
