import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PasswordResetRequest } from '../../src/password-resets/password-reset-request.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { FORM_EXPIRED_MESSAGE, GOOD_PASSWORD, PatientBrowser, h1Of, strip, wrongDob } from '../registration/registration-fixtures';
import {
  DEMO_PATIENT_PASSWORD,
  INVALID_RESET_TOKEN,
  LOCKED_ACCOUNT,
  PortalPatient,
  RESET_REQUESTED,
  accountRow,
  auditTrail,
  portalPatients,
  requestResetLink,
  resetRow,
  signIn,
  submitForm,
  verifyWithQuestion,
} from './recovery-fixtures';

/**
 * The emailed reset link on its own terms: what opening it does (nothing), which links are not
 * valid, the security-question step and its lockout, and how it meets staff resets, unlocks and
 * a double submission. Links are read from the outbox (the dispatcher is off here).
 */
describe('the password reset link: verification, lockout, staff actions, races', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  let people: PortalPatient[];
  let next = 0;
  const nextPatient = () => people[next++]!;

  before(async () => {
    t = await startTestApp({ seedPatients: 40, label: 'resetlink' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    people = await portalPatients(t);
  });
  after(async () => t?.close());

  it('opening the link, however often, changes and counts nothing', async () => {
    const { account } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    for (const path of ['', '/question', '/code', '/check-code', '/new-password']) {
      const page = await browser.get(`/reset-password/${token}${path}`);
      assert.ok([200, 403].includes(page.status), `${path}: ${page.status}`);
      assert.equal(page.text.includes(INVALID_RESET_TOKEN), false);
    }
    assert.deepEqual(await resetRow(t, request.id), request);
  });

  it('unknown, used, revoked and expired links show "The reset token you have provided is not valid"', async () => {
    const unknown = await new PatientBrowser(t.server).get('/reset-password/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(unknown.status, 404);
    assert.equal(h1Of(unknown.text), INVALID_RESET_TOKEN);
    const garbage = await new PatientBrowser(t.server).get('/reset-password/%3Cscript%3E');
    assert.equal(garbage.status, 404);
    assert.ok(!garbage.text.includes('<script>'));

    const { account } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    await t.dataSource.getRepository(PasswordResetRequest).update({ id: request.id }, { expiresAt: new Date(Date.now() - 1000) });
    const expired = await new PatientBrowser(t.server).get(`/reset-password/${token}`);
    assert.equal(expired.status, 410);
    assert.equal(h1Of(expired.text), INVALID_RESET_TOKEN);
    const posted = await submitForm(
      new PatientBrowser(t.server),
      `/reset-password/${token}/question`,
      { dateOfBirth: '19800101', securityAnswer: 'x' },
      '/forgot-password',
    );
    assert.equal(h1Of(posted.text), INVALID_RESET_TOKEN);
    assert.equal((await resetRow(t, request.id)).failedAttempts, 0, 'posting to a dead link counts nothing');
  });

  it('wrong date of birth or answer each count; format problems and forged forms do not', async () => {
    const { account, dob } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    const path = `/reset-password/${token}/question`;

    const badDob = await submitForm(browser, path, { dateOfBirth: wrongDob(dob), securityAnswer: 'biscuit' });
    assert.equal(badDob.status, 422);
    assert.ok(strip(badDob.text).includes('Your date of birth does not match our records.'));
    const badAnswer = await browser.post(path, { dateOfBirth: dob, securityAnswer: 'muffin' });
    assert.equal(badAnswer.status, 422);
    assert.ok(strip(badAnswer.text).includes('Your answer does not match our records.'));
    assert.ok(!badAnswer.text.includes('muffin'), 'the answer typed is not echoed back');
    assert.equal((await resetRow(t, request.id)).failedAttempts, 2);

    const malformed = await browser.post(path, { dateOfBirth: '1980', securityAnswer: '' });
    assert.equal(malformed.status, 422);
    assert.ok(strip(malformed.text).includes('Enter the answer to your security question.'));
    const forged = await browser.post(path, { dateOfBirth: dob, securityAnswer: 'muffin' }, { csrf: false });
    assert.equal(forged.status, 403);
    assert.ok(strip(forged.text).includes(FORM_EXPIRED_MESSAGE));
    assert.equal((await resetRow(t, request.id)).failedAttempts, 2);
    assert.deepEqual(
      (await auditTrail(t, account.patientId)).filter(([a]) => a === 'password_reset.verify_failed'),
      [
        ['password_reset.verify_failed', 'date_of_birth_mismatch'],
        ['password_reset.verify_failed', 'security_answer_mismatch'],
      ],
    );
  });

  it('five failures lock the account (too_many_recovery_failures): staff see it, new links are not sent, staff unlock lets the patient in', async () => {
    const { patient, account, dob } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    const path = `/reset-password/${token}/question`;
    await browser.get(path);
    for (let i = 1; i <= 4; i++) {
      const page = await browser.post(path, { dateOfBirth: dob, securityAnswer: `wrong ${i}` });
      assert.equal(page.status, 422);
    }
    const fifth = await browser.post(path, { dateOfBirth: wrongDob(dob), securityAnswer: 'biscuit' });
    assert.equal(fifth.status, 403);
    assert.equal(h1Of(fifth.text), 'Your account is locked');
    assert.ok(strip(fifth.text).includes(LOCKED_ACCOUNT));
    assert.equal((await browser.get(`/reset-password/${token}`)).status, 403, 'the locked page shows on reopening');
    const rightAnswers = await browser.post(path, { dateOfBirth: dob, securityAnswer: 'biscuit' });
    assert.ok(strip(rightAnswers.text).includes(LOCKED_ACCOUNT), 'even the right answers are refused now');

    assert.equal((await resetRow(t, request.id)).status, 'locked');
    const row = await accountRow(t, account.id);
    assert.equal(row.status, 'locked');
    assert.equal(row.lockReason, 'too_many_recovery_failures');
    const detail = await desk.get(`/api/patients/${patient.id}`);
    assert.equal(detail.body.portalStatus, 'locked');
    assert.equal(detail.body.portalAccount.lockReason, 'too_many_recovery_failures');
    const history = await desk.get(`/api/patients/${patient.id}/portal-history`);
    const locked = history.body.events.find((e: { action: string }) => e.action === 'portal.locked');
    assert.equal(locked.reason, 'too_many_recovery_failures');

    const signInLocked = await signIn(new PatientBrowser(t.server), account.username, DEMO_PATIENT_PASSWORD);
    assert.ok(strip(signInLocked.text).includes(LOCKED_ACCOUNT));
    const again = await submitForm(new PatientBrowser(t.server), '/forgot-password', { username: account.username });
    assert.ok(strip(again.text).includes(RESET_REQUESTED), 'the same answer as ever');
    assert.equal(
      await t.dataSource.getRepository(PasswordResetRequest).countBy({ portalAccountId: account.id }),
      1,
      'but no new link for a recovery-locked account',
    );
    assert.deepEqual((await auditTrail(t, patient.id)).at(-1), ['password_reset.requested', 'account_locked']);

    assert.equal((await desk.post(`/api/patients/${patient.id}/portal-unlock`)).status, 200);
    assert.equal((await signIn(new PatientBrowser(t.server), account.username, DEMO_PATIENT_PASSWORD)).status, 303);
    const fresh = await requestResetLink(t, account.username);
    assert.equal(fresh.request.failedAttempts, 0, 'after the office unlocks, a new link starts afresh');
  });

  it('a lock set for any reason but failed sign-ins is for the office to lift: no new link, and open links show the locked page', async () => {
    const { patient, account } = nextPatient();
    const { token } = await requestResetLink(t, account.username);
    await t.dataSource.getRepository(PortalAccount).update({ id: account.id }, { status: 'locked', lockReason: 'staff_action', lockedAt: new Date() });

    const open = await new PatientBrowser(t.server).get(`/reset-password/${token}`);
    assert.equal(open.status, 403);
    assert.ok(strip(open.text).includes(LOCKED_ACCOUNT));
    const again = await submitForm(new PatientBrowser(t.server), '/forgot-password', { username: account.username });
    assert.ok(strip(again.text).includes(RESET_REQUESTED));
    assert.equal(await t.dataSource.getRepository(PasswordResetRequest).countBy({ portalAccountId: account.id }), 1);
    assert.deepEqual((await auditTrail(t, patient.id)).at(-1), ['password_reset.requested', 'account_locked']);
  });

  it('asking for a new link does not buy new guesses: failures carry over to it', async () => {
    const { account, dob } = nextPatient();
    const first = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    await submitForm(browser, `/reset-password/${first.token}/question`, { dateOfBirth: dob, securityAnswer: 'nope' });
    await browser.post(`/reset-password/${first.token}/question`, { dateOfBirth: dob, securityAnswer: 'nope again' });
    const second = await requestResetLink(t, account.username);
    assert.equal(second.request.failedAttempts, 2);
  });

  it('the new-password step needs the verification done in this browser', async () => {
    const { account, dob } = nextPatient();
    const { token } = await requestResetLink(t, account.username);
    const verified = new PatientBrowser(t.server);
    await verifyWithQuestion(verified, token, dob);

    const stranger = new PatientBrowser(t.server);
    const page = await stranger.get(`/reset-password/${token}/new-password`);
    assert.equal(page.status, 403);
    assert.equal(h1Of(page.text), "Please confirm it's you first");
    const posted = await stranger.post(`/reset-password/${token}/new-password`, { newPassword: GOOD_PASSWORD, confirmNewPassword: GOOD_PASSWORD });
    assert.equal(posted.status, 403);
    assert.equal((await signIn(new PatientBrowser(t.server), account.username, DEMO_PATIENT_PASSWORD)).status, 303, 'the password is unchanged');
  });

  it('a staff reset voids an in-flight link, even one already verified, and ends the patient’s sessions', async () => {
    const { patient, account, dob } = nextPatient();
    const signedIn = new PatientBrowser(t.server);
    assert.equal((await signIn(signedIn, account.username, DEMO_PATIENT_PASSWORD)).status, 303);
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    await verifyWithQuestion(browser, token, dob);

    const reset = await desk.post(`/api/patients/${patient.id}/portal-reset`, {
      reason: 'forgot_credentials',
      identityVerification: 'callback_to_chart_phone',
    });
    assert.equal(reset.status, 201);

    const saved = await browser.post(`/reset-password/${token}/new-password`, { newPassword: GOOD_PASSWORD, confirmNewPassword: GOOD_PASSWORD });
    assert.equal(saved.status, 410);
    assert.equal(h1Of(saved.text), INVALID_RESET_TOKEN);
    assert.equal((await resetRow(t, request.id)).status, 'revoked');
    assert.equal((await signedIn.get('/login/signed-in')).location, '/login', 'the patient’s cookie stopped working');
    assert.equal((await signIn(new PatientBrowser(t.server), account.username, GOOD_PASSWORD)).status, 401);
  });

  it('two Save password posts at once: exactly one changes the password, the other sees the not-valid page', async () => {
    const { patient, account, dob } = nextPatient();
    const { token, request } = await requestResetLink(t, account.username);
    const browser = new PatientBrowser(t.server);
    await verifyWithQuestion(browser, token, dob);
    const other = 'Saffron-anchor-meadow-kettle-58';

    const [first, second] = await Promise.all([
      browser.post(`/reset-password/${token}/new-password`, { newPassword: GOOD_PASSWORD, confirmNewPassword: GOOD_PASSWORD }),
      browser.post(`/reset-password/${token}/new-password`, { newPassword: other, confirmNewPassword: other }),
    ]);
    const statuses = [first.status, second.status].sort();
    assert.deepEqual(statuses, [303, 410]);
    const loser = first.status === 410 ? first : second;
    assert.equal(h1Of(loser.text), INVALID_RESET_TOKEN);
    assert.equal((await resetRow(t, request.id)).status, 'used');
    const winner = first.status === 303 ? GOOD_PASSWORD : other;
    const loserPassword = winner === GOOD_PASSWORD ? other : GOOD_PASSWORD;
    assert.equal((await signIn(new PatientBrowser(t.server), account.username, winner)).status, 303);
    assert.equal((await signIn(new PatientBrowser(t.server), account.username, loserPassword)).status, 401);
    assert.equal((await auditTrail(t, patient.id)).filter(([a]) => a === 'password_reset.completed').length, 1);
  });
});
