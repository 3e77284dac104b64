import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { SmtpCapture } from '../support/smtp-capture';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { PatientBrowser, h1Of, strip, wrongDob } from '../registration/registration-fixtures';
import { PortalPatient, assertSameAnswerAndTiming, auditTrail, portalPatients, submitForm } from './recovery-fixtures';

const SENT = 'If that email address and date of birth match our records, we sent your username to that email address.';

/** "Forgot username": email address and date of birth in, the username out, to the chart's address only. */
describe('forgot username', { skip: mysqlSkip }, () => {
  const smtp = new SmtpCapture();
  let t: TestApp;
  let people: PortalPatient[];
  let next = 0;
  const nextPatient = () => people[next++]!;

  before(async () => {
    await smtp.start();
    t = await startTestApp({ seedPatients: 40, label: 'forgotuser', env: { SMTP_URL: smtp.url, RUN_DISPATCHER: 'true' } });
    people = await portalPatients(t);
  });
  after(async () => {
    await t?.close();
    await smtp.stop();
  });

  it('emails the username to the address on the chart', async () => {
    const { patient, account, dob } = nextPatient();
    const browser = new PatientBrowser(t.server);
    const form = await browser.get('/forgot-username');
    assert.equal(h1Of(form.text), 'Forgot your username?');
    assert.match(form.text, /<label for="email">Email address<\/label>/);
    assert.match(form.text, /<label for="dateOfBirth">Date of birth \(YYYYMMDD\)<\/label>/);

    const page = await browser.post('/forgot-username', { email: patient.email!.toUpperCase(), dateOfBirth: dob });
    assert.equal(page.status, 200);
    assert.ok(strip(page.text).includes(SENT));
    assert.ok(!page.text.includes(account.username), 'the page itself never shows the username');

    const mail = await smtp.waitFor((m) => m.envelopeTo.includes(patient.email!) && m.parsed.subject === 'Your patient portal username');
    assert.deepEqual(mail.envelopeTo, [patient.email]);
    assert.ok(mail.parsed.text!.includes(account.username));
    const events = await auditTrail(t, patient.id);
    assert.deepEqual(
      events.find(([a]) => a === 'username.reminder_requested'),
      ['username.reminder_requested', 'sent'],
    );
  });

  it('answers the same page, status and time whether or not the details match, and sends only when they do', async () => {
    const { patient, dob } = nextPatient();
    const browser = new PatientBrowser(t.server);
    await browser.get('/forgot-username');
    let round = 0;
    await assertSameAnswerAndTiming(
      (fields) => browser.post('/forgot-username', fields),
      () => ({ email: patient.email!, dateOfBirth: dob }),
      () => ({ email: `nobody.${round++}@example.org`, dateOfBirth: dob }),
    );

    const reminders = await t.dataSource.getRepository(OutboxMessage).findBy({ patientId: patient.id, template: 'username-reminder-email' });
    assert.equal(reminders.length, 3, 'three reminders an hour, the rest answered alike but not sent');
    assert.ok(reminders.every((m) => m.toAddress === patient.email));
    assert.equal(await t.dataSource.getRepository(OutboxMessage).countBy({ template: 'username-reminder-email', toAddress: 'nobody.0@example.org' }), 0);
  });

  it('the right email with the wrong date of birth sends nothing', async () => {
    const { patient, dob } = nextPatient();
    const page = await submitForm(new PatientBrowser(t.server), '/forgot-username', { email: patient.email!, dateOfBirth: wrongDob(dob) });
    assert.ok(strip(page.text).includes(SENT));
    assert.equal(await t.dataSource.getRepository(OutboxMessage).countBy({ patientId: patient.id, template: 'username-reminder-email' }), 0);
  });

  it('explains malformed input without looking anything up', async () => {
    const page = await submitForm(new PatientBrowser(t.server), '/forgot-username', { email: 'not-an-email', dateOfBirth: '1980' });
    assert.equal(page.status, 422);
    assert.ok(strip(page.text).includes('Enter an email address like name@example.com.'));
    assert.ok(strip(page.text).includes('Enter your date of birth as 8 digits, YYYYMMDD, for example 19800131.'));
    assert.match(page.text, /id="email" name="email" type="text" value="not-an-email"/);
  });
});
