import assert from 'node:assert/strict';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChartContactChanges } from '../../src/notifications/chart-contact-changes';
import { OutboxDispatcher } from '../../src/outbox/outbox-dispatcher';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { patientIdsWith } from '../support/fixtures';
import { SmtpCapture, CapturedMail } from '../support/smtp-capture';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { PatientBrowser } from '../registration/registration-fixtures';
import { portalPatients, signIn, submitForm } from '../recovery/recovery-fixtures';

/** Records what the SMS webhook is posted. */
class TextGateway {
  readonly received: { to: string; channel: string; body: string }[] = [];
  private server: Server | null = null;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(202, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ id: `gw-${this.received.length}` }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/send`;
  }
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const PRACTICE_PHONE = '(503) 555-0100';
const WHEN = /(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \w+ \d{1,2}, \d{4} at \d{1,2}:\d{2} (AM|PM) P[SD]T/;

/**
 * Section 12: after every change of access the patient hears of it on every contact the chart
 * has, through the outbox, over a real SMTP server and the SMS webhook: what happened, when
 * (on the practice's clock, labelled), which practice, and whom to call. No secret ever rides along.
 */
describe('security notices to the patient, by email and text', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let dispatcher: OutboxDispatcher;
  const smtp = new SmtpCapture();
  const gateway = new TextGateway();

  before(async () => {
    await smtp.start();
    await gateway.start();
    t = await startTestApp({ seedPatients: 30, label: 'notices', env: { SMTP_URL: smtp.url, SMS_WEBHOOK_URL: gateway.url } });
    dispatcher = t.app.get(OutboxDispatcher);
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
    await gateway.stop();
  });

  const deliver = async () => {
    while ((await dispatcher.runOnce()) > 0) {
      /* until nothing is due */
    }
  };
  const noticeMails = (to: string) =>
    smtp.messages.filter((m) => m.envelopeTo.includes(to.toLowerCase()) && /If this wasn't you, call/.test(m.parsed.text ?? ''));
  const texts = (to: string) => gateway.received.filter((r) => r.to === to && r.channel === 'sms');

  /** What every notice says, and what none may carry. */
  const assertNotice = (text: string, what: RegExp) => {
    assert.match(text, what);
    assert.match(text, WHEN, 'when, on the practice clock, with its zone');
    assert.match(text, /Maple Grove Family Medicine/);
    assert.match(text, new RegExp(`If this wasn't you, call ${PRACTICE_PHONE.replace(/[()]/g, '\\$&')}`));
    assert.doesNotMatch(text, /https?:\/\/\S*(register|reset-password)\//, 'no link');
    assert.doesNotMatch(text, /\b\d{6}\b/, 'no PIN or code');
  };

  it('a reset: the registration email and a separate notice (email and text), the PIN in neither; the email says the old username was retired', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const [patient] = await t.dataSource.query('SELECT email, phone FROM patients WHERE id = ?', [patientId]);
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const reset = await desk
      .post(`/api/patients/${patientId}/portal-reset`, { reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' })
      .set('Idempotency-Key', `notice-reset-${patientId}`)
      .expect(201);
    const pin: string = reset.body.invitation.pin;
    await deliver();

    const toPatient = smtp.messages.filter((m) => m.envelopeTo.includes(patient.email.toLowerCase()));
    assert.equal(toPatient.length, 2, 'two messages: the registration email and the notice');
    const [notice] = noticeMails(patient.email);
    assert.ok(notice);
    assertNotice(notice.parsed.text!, /account was reset by our office staff/);
    assert.doesNotMatch(notice.raw, new RegExp(pin));
    const registration = toPatient.find((m) => m !== notice)!;
    assert.doesNotMatch(registration.raw, new RegExp(pin), 'the PIN is told at the desk, never mailed');

    const [sms] = texts(patient.phone);
    assert.ok(sms, 'a text to the chart phone');
    assertNotice(sms.body, /account was reset/);
  });

  it('a first invitation (no account ever) does not speak of a retired username; the one after a reset does', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'none');
    const [patient] = await t.dataSource.query('SELECT email FROM patients WHERE id = ?', [patientId]);
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    await desk.post(`/api/patients/${patientId}/invitation/resend`).set('Idempotency-Key', `first-${patientId}`).expect(201);
    await deliver();
    const first = smtp.messages.filter((m) => m.envelopeTo.includes(patient.email.toLowerCase())).at(-1)!;
    assert.doesNotMatch(first.parsed.text!, /retired|old username/i);
  });

  it('a lock by failed sign-ins and a staff unlock: each a notice by email and text', async () => {
    const [, { patient, account }] = await portalPatients(t);
    const portal = new PatientBrowser(t.server);
    for (let i = 0; i < 5; i++) await signIn(portal, account.username, `wrong-password-${i}-long`);
    const [{ status }] = await t.dataSource.query('SELECT status FROM portal_accounts WHERE id = ?', [account.id]);
    assert.equal(status, 'locked');
    await deliver();
    const locked = noticeMails(patient.email!).find((m) => /locked/.test(m.parsed.subject ?? ''));
    assert.ok(locked, 'the lock notice email');
    assertNotice(locked.parsed.text!, /account was locked after too many failed attempts/);
    assert.ok(texts(patient.phone!).some((s) => /locked/.test(s.body)));

    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    await desk.post(`/api/patients/${patient.id}/portal-unlock`).expect(200);
    await deliver();
    const unlocked = noticeMails(patient.email!).find((m) => /unlocked/.test(m.parsed.subject ?? ''));
    assert.ok(unlocked);
    assertNotice(unlocked.parsed.text!, /unlocked by our office staff/);
    assert.ok(texts(patient.phone!).some((s) => /unlocked by our office staff/.test(s.body)));
  });

  it('a username reminder: the reminder by email, a notice by text', async () => {
    const [, , { patient, dob }] = await portalPatients(t);
    const portal = new PatientBrowser(t.server);
    await submitForm(portal, '/forgot-username', { email: patient.email!, dateOfBirth: dob });
    await deliver();
    const sms = texts(patient.phone!).find((s) => /reminder of your patient portal username/.test(s.body));
    assert.ok(sms, `a text: ${JSON.stringify(texts(patient.phone!))}`);
    assertNotice(sms.body, /reminder/);
  });

  it('a chart contact change tells the old and the new address, and the phone', async () => {
    const [, , , { patient }] = await portalPatients(t);
    const changes = t.app.get(ChartContactChanges);
    const uow = t.app.get(UnitOfWork);
    const newEmail = `new.${patient.email}`;
    await uow.run((manager) =>
      changes.record(manager, {
        practiceId: patient.practiceId,
        patientId: patient.id,
        field: 'email',
        previous: patient.email,
        current: newEmail,
        other: patient.phone,
      }),
    );
    await deliver();
    const old = noticeMails(patient.email!).find((m) => /contact details/.test(m.parsed.subject ?? ''));
    const fresh = noticeMails(newEmail).find((m) => /contact details/.test(m.parsed.subject ?? ''));
    assert.ok(old && fresh, 'both addresses are told');
    assertNotice(old.parsed.text!, /email address on your chart was changed from \w\*\*\*@example\.com to n\*\*\*@example\.com/);
    assert.ok(texts(patient.phone!).some((s) => /email address on your chart was changed/.test(s.body)));
    const [event] = await t.dataSource.query("SELECT details FROM audit_events WHERE action = 'patient.contact_changed' AND patientId = ?", [patient.id]);
    assert.ok(event, 'audited');
  });

  it('every notice is listed in Emails and in the patient’s history', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'invited');
    const rows = await t.dataSource.query("SELECT id, channel, status, patientId FROM outbox_messages WHERE template = 'security-notice'");
    assert.ok(rows.length >= 8);
    assert.ok(rows.every((r: { status: string }) => r.status === 'sent'));
    const admin = await StaffClient.signIn(t.server, 'admin@maplegrove.test');
    const emails = await admin
      .get('/api/emails')
      .query({ filter: JSON.stringify({ template: 'security-notice' }), range: '[0,99]' })
      .expect(200);
    assert.equal(emails.body.length, rows.length);
    const one = rows[0] as { id: string; patientId: string };
    const history = await admin.get(`/api/patients/${one.patientId}/portal-history`).expect(200);
    assert.ok(
      history.body.events.some(
        (e: { action: string; details: { outboxMessageId?: string } }) => e.action === 'email.sent' && e.details.outboxMessageId === one.id,
      ),
    );
    void patientId;
  });

  it('the practice phone is a setting (PUT /api/practice, admins): notices name the new number; a malformed one answers 422', async () => {
    const admin = await StaffClient.signIn(t.server, 'admin@maplegrove.test');
    await admin.put('/api/practice', { phone: '503-555' }).expect(422);
    const saved = await admin.put('/api/practice', { phone: '+15035550199' }).expect(200);
    assert.equal(saved.body.phone, '+15035550199');
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    await desk.put('/api/practice', { phone: '+15035550111' }).expect(403);

    const [, , , , { patient, account }] = await portalPatients(t);
    const portal = new PatientBrowser(t.server);
    for (let i = 0; i < 5; i++) await signIn(portal, account.username, `wrong-password-${i}-long`);
    await deliver();
    const locked = noticeMails(patient.email!).find((m) => /locked/.test(m.parsed.subject ?? ''));
    assert.ok(locked);
    assert.match(locked.parsed.text!, /If this wasn't you, call \(503\) 555-0199/);
    await admin.put('/api/practice', { phone: '+15035550100' }).expect(200);
  });
});

export type { CapturedMail };
