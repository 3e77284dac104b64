import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { Practice } from '../../src/practices/practice.entity';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_ADMIN, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { PatientBrowser, h1Of, issueInvitation, patientsOf, strip } from '../registration/registration-fixtures';
import { PortalPatient, portalPatients, requestResetLink, resetRow, submitForm } from './recovery-fixtures';

/**
 * The practice setting allowSecurityQuestions: admins may switch knowledge-based recovery off
 * (NIST 800-63B advises against it); registration then asks no question and recovery offers
 * only the code.
 */
describe('practice setting: security questions on or off', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let admin: StaffClient;
  let desk: StaffClient;
  let people: PortalPatient[];

  before(async () => {
    t = await startTestApp({ seedPatients: 20, label: 'practicecfg' });
    admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    people = await portalPatients(t);
  });
  after(async () => t?.close());

  const practiceRow = (id: string) => t.dataSource.getRepository(Practice).findOneByOrFail({ id });

  it('any staff member reads their own practice; on by default', async () => {
    const response = await desk.get('/api/practice');
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body).sort(), ['allowSecurityQuestions', 'id', 'name', 'phone', 'staffMfa', 'timeZone']);
    assert.equal(response.body.id, MAPLE_GROVE_ID);
    assert.equal(response.body.name, 'Maple Grove Family Medicine');
    assert.equal(response.body.allowSecurityQuestions, true);
    const other = await (await StaffClient.signIn(t.server, RIVERSIDE_ADMIN)).get('/api/practice');
    assert.equal(other.body.id, RIVERSIDE_ID);
  });

  it('only admins change it: desk 403, bad values 422, unknown fields 400, no session 401', async () => {
    const forbidden = await desk.put('/api/practice', { allowSecurityQuestions: false });
    assert.equal(forbidden.status, 403);
    const invalid = await admin.put('/api/practice', { allowSecurityQuestions: 'nope' });
    assert.equal(invalid.status, 422);
    assert.equal(invalid.body.errors.allowSecurityQuestions, 'Choose on (true) or off (false) for security questions.');
    const unknown = await admin.put('/api/practice', { allowSecurityQuestions: false, name: 'Renamed' });
    assert.equal(unknown.status, 400);
    const withoutCsrf = await request(t.server).put('/api/practice').set('Cookie', admin.cookies.join('; ')).send({ allowSecurityQuestions: false });
    assert.equal(withoutCsrf.status, 403);
    const anonymous = await request(t.server).get('/api/practice');
    assert.equal(anonymous.status, 401);
    assert.equal((await practiceRow(MAPLE_GROVE_ID)).allowSecurityQuestions, true, 'nothing changed');
  });

  it('turning it off is audited, leaves other practices alone, and recovery then offers only the code', async () => {
    const { account, dob } = people[0]!;
    const { token, request } = await requestResetLink(t, account.username);

    const off = await admin.put('/api/practice', { allowSecurityQuestions: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.allowSecurityQuestions, false);
    assert.equal((await practiceRow(MAPLE_GROVE_ID)).allowSecurityQuestions, false);
    assert.equal((await practiceRow(RIVERSIDE_ID)).allowSecurityQuestions, true);
    const [event] = await t.dataSource.getRepository(AuditEvent).findBy({ action: 'practice.settings_updated', practiceId: MAPLE_GROVE_ID });
    assert.deepEqual(JSON.parse(event!.details), { changes: { allowSecurityQuestions: { from: true, to: false } } });
    assert.equal(event!.actorType, 'staff');
    const filtered = await admin.get('/api/audit-events?filter=' + encodeURIComponent(JSON.stringify({ action: 'practice.settings_updated' })));
    assert.equal(filtered.status, 200);
    assert.equal(filtered.body.length, 1);

    const choose = await new PatientBrowser(t.server).get(`/reset-password/${token}`);
    assert.equal(choose.status, 200);
    assert.ok(!strip(choose.text).includes('Answer my security question'));
    assert.ok(strip(choose.text).includes('Send me a security code'));
    const refused = await submitForm(
      new PatientBrowser(t.server),
      `/reset-password/${token}/question`,
      { dateOfBirth: dob, securityAnswer: 'biscuit' },
      `/reset-password/${token}/code`,
    );
    assert.equal(refused.status, 409);
    assert.equal(h1Of(refused.text), 'Reset your password');
    assert.equal((await resetRow(t, request.id)).verifiedAt, null, 'the right answer does not verify when questions are off');
    assert.equal((await resetRow(t, request.id)).failedAttempts, 0);

    // Another patient: issuing an invitation closes the patient's current account.
    const patient = (await patientsOf(t)).find((p) => p.id !== people[0]!.patient.id)!;
    const link = await issueInvitation(t, patient);
    const browser = new PatientBrowser(t.server);
    await submitForm(browser, `/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' }, `/register/${link.token}`);
    const step2 = await browser.get(`/register/${link.token}/account`);
    assert.equal(h1Of(step2.text), 'Create your account');
    assert.ok(!step2.text.includes('Security question'), 'registration asks no question');

    const on = await admin.put('/api/practice', { allowSecurityQuestions: true });
    assert.equal(on.body.allowSecurityQuestions, true);
    assert.ok(strip((await new PatientBrowser(t.server).get(`/reset-password/${token}`)).text).includes('Answer my security question'));
    const unchanged = await admin.put('/api/practice', { allowSecurityQuestions: true });
    assert.equal(unchanged.status, 200);
    assert.equal(await t.dataSource.getRepository(AuditEvent).countBy({ action: 'practice.settings_updated' }), 2, 'a no-op is not an event');
  });
});
