import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as argon2 from 'argon2';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { Patient } from '../../src/patients/patient.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { Practice } from '../../src/practices/practice.entity';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { GOOD_PASSWORD, IssuedLink, PatientBrowser, h1Of, invitationRow, issueInvitation, openAccountsOf, patientsOf, strip } from './registration-fixtures';

/** "abc.old" → "ＡＢＣ．ＯＬＤ": the same name after NFKC and case folding. */
function fullWidthUpper(name: string): string {
  return [...name.toUpperCase()].map((c) => (c >= '!' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
}

describe('registration step 2: creating the portal account', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let patients: Patient[];
  let next = 0;
  const nextPatient = () => patients[next++]!;

  before(async () => {
    t = await startTestApp({ seedPatients: 30, label: 'regacct' });
    patients = await patientsOf(t);
    // Patients whose seeded accounts are kept for the "taken username" checks go last.
    const seededAccountHolders = new Set((await t.dataSource.getRepository(PortalAccount).find()).map((a) => a.patientId));
    patients.sort((a, b) => Number(seededAccountHolders.has(a.id)) - Number(seededAccountHolders.has(b.id)));
  });
  after(async () => t?.close());

  /** A browser that has passed step 1 for a fresh invitation and is looking at step 2. */
  async function atStep2(patient = nextPatient()): Promise<{ link: IssuedLink; browser: PatientBrowser; page: string }> {
    const link = await issueInvitation(t, patient);
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);
    const verified = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' });
    const page = await browser.follow(`/register/${link.token}/verify`, verified);
    assert.equal(page.status, 200);
    return { link, browser, page: page.text };
  }

  const form = (username: string, overrides: Record<string, string> = {}) => ({
    username,
    password: GOOD_PASSWORD,
    confirmPassword: GOOD_PASSWORD,
    securityQuestion: 'What was the name of your first pet?',
    securityAnswer: 'Biscuit',
    ...overrides,
  });

  it('a username ever held by any account, closed ones included, in any case or width, is taken', async () => {
    const accounts = t.dataSource.getRepository(PortalAccount);
    const closed = await accounts.findOneByOrFail({ status: 'closed' });
    const active = await accounts.findOneByOrFail({ status: 'active' });
    const { link, browser } = await atStep2();

    for (const taken of [
      closed.username,
      closed.username.toUpperCase(),
      fullWidthUpper(closed.username),
      active.username,
      ` ${active.username.toUpperCase()} `,
    ]) {
      const page = await browser.post(`/register/${link.token}/account`, form(taken));
      assert.equal(page.status, 422, taken);
      assert.ok(page.text.includes('Username has already been taken'), taken);
      assert.match(page.text, /id="username" name="username" type="text" value="[^"]+"[^>]*aria-invalid="true"/);
      assert.ok(page.text.includes('value="Biscuit"'), 'the security answer typed is kept');
      assert.match(page.text, /<option value="What was the name of your first pet\?" selected>/);
      assert.ok(!page.text.includes(GOOD_PASSWORD), 'passwords are never sent back');
    }
    assert.equal((await openAccountsOf(t, link.patient.id)).length, 0);
    assert.equal((await invitationRow(t, link.invitationId)).status, 'pending');
  });

  it('a look-alike of a taken username (Cyrillic е for Latin e) is taken too', async () => {
    const first = await atStep2();
    const taken = await first.browser.post(`/register/${first.link.token}/account`, form('rec1'));
    assert.equal(taken.status, 200);
    const { link, browser } = await atStep2();
    const page = await browser.post(`/register/${link.token}/account`, form('r\u0435c1'));
    assert.equal(page.status, 422);
    assert.ok(page.text.includes('Username has already been taken'));
    assert.equal((await openAccountsOf(t, link.patient.id)).length, 0);
  });

  it('a weak password is refused with what to fix', async () => {
    const { link, browser } = await atStep2();
    const attempts: [string, RegExp][] = [
      ['short', /Your password does not meet security requirements: use at least 12 characters/],
      ['password1234', /Your password does not meet security requirements: .*choose something harder to guess/],
      [`${link.patient.lastName}-orbit-lantern-93`, /Your password does not meet security requirements: do not include your name/],
      [`orbit-lantern-${link.dob}`, /Your password does not meet security requirements: do not include your date of birth/],
    ];
    for (const [password, message] of attempts) {
      const page = await browser.post(`/register/${link.token}/account`, form(`weak${Date.now()}`, { password, confirmPassword: password }));
      assert.equal(page.status, 422, password);
      assert.match(strip(page.text), message);
      assert.match(page.text, /id="password" name="password" type="password"[^>]*aria-invalid="true"/);
    }
    assert.equal((await openAccountsOf(t, link.patient.id)).length, 0);
  });

  it('checks the username rules, matching passwords and the security question', async () => {
    const { link, browser } = await atStep2();
    const page = await browser.post(`/register/${link.token}/account`, {
      username: 'no spaces!',
      password: GOOD_PASSWORD,
      confirmPassword: GOOD_PASSWORD + 'x',
      securityQuestion: 'What is your favourite colour?',
      securityAnswer: '',
    });
    assert.equal(page.status, 422);
    const text = strip(page.text);
    assert.ok(text.includes('Username can contain only letters, digits and . _ - @'));
    assert.ok(text.includes('The passwords do not match.'));
    assert.ok(text.includes('Choose a security question.'));
    assert.ok(text.includes('Enter an answer to your security question.'));
    assert.equal(await t.dataSource.getRepository(PortalAccount).countBy({ patientId: link.patient.id }), 0);
  });

  it('creates the active account, spends the invitation, queues the "account ready" email and audits it, in one go', async () => {
    const { link, browser } = await atStep2();
    const username = `Reg.Patient${Date.now()}`;

    const done = await browser.post(`/register/${link.token}/account`, form(username, { securityAnswer: '  Biscuit   the DOG ' }));

    assert.equal(done.status, 200);
    assert.equal(h1Of(done.text), 'Your account is ready');
    assert.match(done.text, /<a class="button" href="\/login">Sign in<\/a>/);
    assert.ok(
      done.setCookies.some((c) => c.startsWith('rd_reg=;')),
      'the step-2 proof is cleared',
    );

    const [account] = await openAccountsOf(t, link.patient.id);
    assert.ok(account);
    assert.equal(account.status, 'active');
    assert.equal(account.openMarker, 1);
    assert.equal(account.username, username);
    assert.equal(account.usernameNormalized, username.toLowerCase());
    assert.equal(account.practiceId, link.patient.practiceId);
    assert.match(account.passwordHash!, /^\$argon2id\$/);
    assert.ok(await argon2.verify(account.passwordHash!, GOOD_PASSWORD));
    assert.equal(account.securityQuestion, 'What was the name of your first pet?');
    assert.ok(await argon2.verify(account.securityAnswerHash!, 'biscuit the dog'), 'the answer is hashed after normalising');

    const invitation = await invitationRow(t, link.invitationId);
    assert.equal(invitation.status, 'used');
    assert.equal(invitation.pendingMarker, null);
    assert.ok(invitation.usedAt);
    assert.equal(invitation.portalAccountId, account.id);

    const [email] = await t.dataSource.getRepository(OutboxMessage).findBy({ subjectId: account.id });
    assert.ok(email);
    assert.equal(email.template, 'account-ready-email');
    assert.equal(email.channel, 'email');
    assert.equal(email.toAddress, link.patient.email);
    assert.equal(email.subjectType, 'portal_account');
    assert.equal(email.sealedSecret, null);

    const [registered] = await t.dataSource.getRepository(AuditEvent).findBy({ action: 'portal.registered', patientId: link.patient.id });
    assert.ok(registered);
    assert.equal(registered.actorType, 'patient');
    assert.equal(registered.actorId, link.patient.id);
    assert.equal(registered.actorName, `${link.patient.firstName} ${link.patient.lastName}`);
    assert.deepEqual(JSON.parse(registered.details), { portalAccountId: account.id, username, invitationId: link.invitationId, verifiedBy: 'pin' });

    // The link is spent: reopening it, or submitting again, shows the "not valid" page and changes nothing.
    const reopened = await browser.get(`/register/${link.token}`);
    assert.equal(reopened.status, 410);
    assert.equal(h1Of(reopened.text), 'This registration link is not valid');
    assert.match(strip(reopened.text), /already been used/);
    const resubmitted = await browser.post(`/register/${link.token}/account`, form(`${username}x`));
    assert.equal(resubmitted.status, 410);
    assert.equal((await openAccountsOf(t, link.patient.id)).length, 1);
    assert.equal(await t.dataSource.getRepository(AuditEvent).countBy({ action: 'portal.registered', patientId: link.patient.id }), 1);

    // And the name is now taken for everyone else.
    const other = await atStep2();
    const taken = await other.browser.post(`/register/${other.link.token}/account`, form(username.toUpperCase()));
    assert.ok(taken.text.includes('Username has already been taken'));
  });

  it('an invitation that expires between step 1 and step 2 cannot be used', async () => {
    const { link, browser } = await atStep2();
    await t.dataSource.query('UPDATE registration_invitations SET expiresAt = ? WHERE id = ?', [new Date(Date.now() - 1000), link.invitationId]);
    const page = await browser.post(`/register/${link.token}/account`, form(`late${Date.now()}`));
    assert.equal(page.status, 410);
    assert.match(strip(page.text), /has expired/);
    assert.equal((await openAccountsOf(t, link.patient.id)).length, 0);
  });

  it('leaves out the security question where the practice does not use them', async () => {
    const riverside = await t.dataSource.getRepository(Practice).findOneByOrFail({ name: 'Riverside Pediatrics' });
    await t.dataSource.getRepository(Practice).update({ id: riverside.id }, { allowSecurityQuestions: false });
    try {
      const [patient] = await patientsOf(t, 'Riverside Pediatrics');
      const { link, browser, page } = await atStep2(patient);
      assert.ok(strip(page).includes('Riverside Pediatrics'));
      assert.ok(!page.includes('Security question'));
      assert.ok(!page.includes('Security answer'));
      assert.ok(!page.includes('name="securityQuestion"'));

      const done = await browser.post(`/register/${link.token}/account`, {
        username: `noquestion${Date.now()}`,
        password: GOOD_PASSWORD,
        confirmPassword: GOOD_PASSWORD,
      });
      assert.equal(done.status, 200);
      const [account] = await openAccountsOf(t, link.patient.id);
      assert.equal(account!.securityQuestion, null);
      assert.equal(account!.securityAnswerHash, null);
    } finally {
      await t.dataSource.getRepository(Practice).update({ id: riverside.id }, { allowSecurityQuestions: true });
    }
  });
});
