import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { Patient } from '../../src/patients/patient.entity';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import {
  FORM_EXPIRED_MESSAGE,
  LOCKED_MESSAGE,
  MAPLE_GROVE,
  PatientBrowser,
  h1Of,
  invitationRow,
  issueInvitation,
  patientsOf,
  strip,
  titleOf,
  wrongDob,
  wrongPin,
} from './registration-fixtures';

describe('registration link: opening it and verifying with date of birth and PIN', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let patients: Patient[];
  let next = 0;
  const nextPatient = () => patients[next++]!;

  before(async () => {
    t = await startTestApp({ seedPatients: 30, label: 'regpin' });
    patients = await patientsOf(t);
  });
  after(async () => t?.close());

  const auditOf = (invitationId: string) =>
    t.dataSource
      .getRepository(AuditEvent)
      .createQueryBuilder('e')
      .where('e.details LIKE :id', { id: `%${invitationId}%` })
      .orderBy('e.seq', 'ASC')
      .getMany();

  it('opening the link shows step 1 and changes nothing, however often it is opened', async () => {
    const link = await issueInvitation(t, nextPatient());
    const before = await invitationRow(t, link.invitationId);
    const browser = new PatientBrowser(t.server);

    const page = await browser.get(`/register/${link.token}`);
    for (let i = 0; i < 3; i++) await browser.get(`/register/${link.token}`);
    await request(t.server).head(`/register/${link.token}`);

    assert.equal(page.status, 200);
    assert.match(page.text, /^<!doctype html>\s*<html lang="en">/);
    assert.equal(h1Of(page.text), "Verify it's you");
    assert.ok(titleOf(page.text).startsWith("Verify it's you"));
    const text = strip(page.text);
    assert.ok(text.includes(MAPLE_GROVE), 'the practice name is in the header');
    for (const label of ['Date of birth (YYYYMMDD)', 'PIN', 'Phone number', 'Send code by', 'Text', 'Voice']) {
      assert.match(page.text, new RegExp(`<(label|legend)[^>]*>${label.replace(/[()]/g, '\\$&')}</(label|legend)>`), `label ${label}`);
    }
    assert.match(page.text, /<button[^>]*>Continue<\/button>/);
    assert.match(page.text, /<button[^>]*>Send security code<\/button>/);
    assert.match(page.text, /<input id="dateOfBirth" name="dateOfBirth" type="text" autocomplete="bday" inputmode="numeric"/);
    assert.match(page.text, /<input id="pin" name="pin" type="text" autocomplete="off" inputmode="numeric"/);
    assert.match(page.text, /name="_csrf" value="[^"]+"/);
    const csrfCookie = page.setCookies.find((c) => c.startsWith('rd_pcsrf='))!;
    assert.match(csrfCookie, /HttpOnly/);
    assert.match(csrfCookie, /SameSite=Strict/);

    // The forms' own addresses, opened directly, show step 1 as well.
    for (const step of ['verify', 'check-code', 'resend-code']) {
      const opened = await browser.get(`/register/${link.token}/${step}`);
      assert.equal(opened.status, 200, step);
      assert.equal(h1Of(opened.text), "Verify it's you");
    }

    assert.deepEqual(await invitationRow(t, link.invitationId), before);
    assert.equal((await auditOf(link.invitationId)).length, 0);
    assert.equal(await t.dataSource.getRepository(OutboxMessage).countBy({ subjectId: link.invitationId }), 0);
  });

  it('serves the pages with no-store and the stylesheet from its own origin', async () => {
    const link = await issueInvitation(t, nextPatient());
    const page = await request(t.server).get(`/register/${link.token}`);
    assert.equal(page.headers['cache-control'], 'no-store');
    assert.match(page.headers['content-type'], /text\/html/);
    assert.match(page.text, /<link rel="stylesheet" href="\/assets\/patient.css">/);
    assert.match(page.text, /<meta name="viewport" content="width=device-width, initial-scale=1">/);
    const css = await request(t.server).get('/assets/patient.css');
    assert.equal(css.status, 200);
    assert.match(css.headers['content-type'], /text\/css/);
    assert.match(css.text, /\.error-summary/);
  });

  it('unknown, used, revoked and expired links show a helpful "not valid" page, and posting to them changes nothing', async () => {
    const unknown = await request(t.server).get('/register/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').set('Accept', 'text/html');
    assert.equal(unknown.status, 404);
    assert.equal(h1Of(unknown.text), 'This registration link is not valid');
    assert.equal(titleOf(unknown.text), 'This registration link is not valid');
    assert.match(strip(unknown.text), /call your doctor's office/);

    const malformed = await request(t.server).get('/register/not%20a%20token').set('Accept', 'text/html');
    assert.equal(malformed.status, 404);
    assert.equal(h1Of(malformed.text), 'This registration link is not valid');

    const cases = [
      { status: 'used' as const, why: /already been used/ },
      { status: 'revoked' as const, why: /newer registration email/ },
      { status: 'expired' as const, why: /has expired/ },
      { status: 'pending' as const, expiresAt: new Date(Date.now() - 60_000), why: /has expired/ },
    ];
    for (const c of cases) {
      const link = await issueInvitation(t, nextPatient(), { status: c.status, expiresAt: c.expiresAt });
      const before = await invitationRow(t, link.invitationId);
      const browser = new PatientBrowser(t.server);
      const page = await browser.get(`/register/${link.token}`);
      assert.equal(page.status, 410, `${c.status} link`);
      assert.equal(h1Of(page.text), 'This registration link is not valid');
      const text = strip(page.text);
      assert.match(text, c.why);
      assert.match(text, /already been used/);
      assert.match(text, /newer email/);
      assert.match(text, /expired/);
      assert.ok(text.includes('Please call Maple Grove Family Medicine at (503) 555-0100'), 'the practice phone is shown');

      // A valid form from another page of the site: the link is refused, not the form.
      const fresh = await issueInvitation(t, nextPatient());
      await browser.get(`/register/${fresh.token}`);
      const post = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' });
      assert.equal(post.status, 410);
      assert.equal(h1Of(post.text), 'This registration link is not valid');
      assert.deepEqual(await invitationRow(t, link.invitationId), before, `${c.status} link row unchanged`);
    }
  });

  it('a wrong date of birth counts one failure and says so, keeping what was typed except the PIN', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);

    const page = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: wrongDob(link.dob), pin: link.pin, via: 'pin' });

    assert.equal(page.status, 422);
    assert.ok(page.text.includes('Your date of birth does not match our records.'));
    assert.match(page.text, /<div class="error-summary" role="alert"/);
    assert.match(page.text, /<a href="#dateOfBirth">Your date of birth does not match our records.<\/a>/);
    assert.match(
      page.text,
      new RegExp(
        `id="dateOfBirth" name="dateOfBirth" type="text" value="${wrongDob(link.dob)}"[^>]*aria-describedby="dateOfBirth-hint dateOfBirth-error" aria-invalid="true"`,
      ),
    );
    assert.ok(!page.text.includes(link.pin), 'the PIN is not sent back');
    const row = await invitationRow(t, link.invitationId);
    assert.equal(row.failedAttempts, 1);
    assert.equal(row.status, 'pending');
    assert.equal(row.verifiedAt, null);
    const events = await auditOf(link.invitationId);
    assert.deepEqual(
      events.map((e) => [e.action, e.reason, JSON.parse(e.details).failedAttempts]),
      [['invitation.verify_failed', 'date_of_birth_mismatch', 1]],
    );
    assert.equal(events[0]!.actorType, 'patient');
    assert.equal(events[0]!.patientId, link.patient.id);
  });

  it('a wrong PIN counts one failure and answers "Invalid PIN or Security Code"', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);

    const page = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: wrongPin(link.pin), via: 'pin' });

    assert.equal(page.status, 422);
    assert.ok(page.text.includes('Invalid PIN or Security Code'));
    assert.match(
      page.text,
      /id="pin" name="pin" type="text" autocomplete="off" inputmode="numeric" maxlength="6" aria-describedby="pin-hint pin-error" aria-invalid="true"/,
    );
    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 1);
    assert.deepEqual(
      (await auditOf(link.invitationId)).map((e) => [e.action, e.reason]),
      [['invitation.verify_failed', 'pin_mismatch']],
    );
  });

  it('input that is not a date or not six digits is explained without counting a failure', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);

    const notADate = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: '19801345', pin: link.pin, via: 'pin' });
    assert.equal(notADate.status, 422);
    assert.match(strip(notADate.text), /Enter your date of birth as 8 digits, YYYYMMDD/);
    const noPin = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: '', via: 'pin' });
    assert.equal(noPin.status, 422);
    assert.match(strip(noPin.text), /Enter the 6-digit PIN/);
    const shortPin = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: '1234', via: 'pin' });
    assert.equal(shortPin.status, 422);

    assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, 0);
    assert.equal((await auditOf(link.invitationId)).length, 0);
  });

  it('five failures of any kind lock the link; the locked page shows then, on reopening, and even for the right answers', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);
    const chartPhone = link.patient.phone!;
    const otherPhone = chartPhone.slice(0, -1) + String((Number(chartPhone.slice(-1)) + 1) % 10);

    const attempts: Record<string, string>[] = [
      { dateOfBirth: wrongDob(link.dob), pin: link.pin, via: 'pin' },
      { dateOfBirth: link.dob, pin: wrongPin(link.pin), via: 'pin' },
      { dateOfBirth: link.dob, phone: otherPhone, channel: 'sms', via: 'phone' },
      { dateOfBirth: wrongDob(link.dob), phone: chartPhone, channel: 'sms', via: 'phone' },
    ];
    for (const [i, fields] of attempts.entries()) {
      const page = await browser.post(`/register/${link.token}/verify`, fields);
      assert.equal(page.status, 422, `attempt ${i + 1}`);
      assert.equal((await invitationRow(t, link.invitationId)).failedAttempts, i + 1);
    }

    const fifth = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: wrongPin(link.pin), via: 'pin' });
    assert.equal(fifth.status, 403);
    assert.ok(strip(fifth.text).includes(LOCKED_MESSAGE));

    const row = await invitationRow(t, link.invitationId);
    assert.equal(row.status, 'locked');
    assert.equal(row.pendingMarker, null);
    assert.equal(row.failedAttempts, 5);
    assert.ok(row.lockedAt);
    const events = await auditOf(link.invitationId);
    assert.deepEqual(
      events.map((e) => e.reason),
      ['date_of_birth_mismatch', 'pin_mismatch', 'phone_mismatch', 'date_of_birth_mismatch', 'pin_mismatch', null],
    );
    assert.equal(events.at(-1)!.action, 'invitation.locked');

    const reopened = await browser.get(`/register/${link.token}`);
    assert.equal(reopened.status, 403);
    assert.ok(strip(reopened.text).includes(LOCKED_MESSAGE));
    assert.ok(strip(reopened.text).includes('(503) 555-0100'));

    const rightAnswers = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' });
    assert.equal(rightAnswers.status, 403);
    assert.ok(strip(rightAnswers.text).includes(LOCKED_MESSAGE));
    const after = await invitationRow(t, link.invitationId);
    assert.equal(after.verifiedAt, null);
    assert.equal(after.failedAttempts, 5);
  });

  it('a post with a missing or wrong CSRF token answers 403 "This form has expired" and counts nothing', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);
    const own = browser.csrf!;

    const stranger = new PatientBrowser(t.server);
    await stranger.get(`/register/${link.token}`);

    const attempts: [string, PatientBrowser, string | false][] = [
      ['no token', browser, false],
      ['a token signed for another browser', browser, stranger.csrf!],
      ['a tampered token', browser, own.slice(0, -2) + (own.endsWith('A') ? 'BB' : 'AA')],
      ['a token without its cookie', new PatientBrowser(t.server), own],
    ];
    for (const [what, who, token] of attempts) {
      for (const fields of [
        { dateOfBirth: wrongDob(link.dob), pin: wrongPin(link.pin), via: 'pin' },
        { dateOfBirth: link.dob, pin: link.pin, via: 'pin' },
      ]) {
        const page = await who.post(`/register/${link.token}/verify`, fields, { csrf: token });
        assert.equal(page.status, 403, what);
        assert.ok(strip(page.text).includes(FORM_EXPIRED_MESSAGE), what);
      }
    }
    for (const path of ['check-code', 'resend-code', 'account']) {
      const page = await browser.post(`/register/${link.token}/${path}`, { code: '123456' }, { csrf: false });
      assert.equal(page.status, 403, path);
    }

    const row = await invitationRow(t, link.invitationId);
    assert.equal(row.failedAttempts, 0);
    assert.equal(row.verifiedAt, null);
    assert.equal((await auditOf(link.invitationId)).length, 0);

    // The browser's own token still works afterwards.
    const ok = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' }, { csrf: own });
    assert.equal(ok.status, 303);
  });

  it('over https the CSRF cookie is __Host- prefixed, so a cookie planted without the prefix does not count', async () => {
    const link = await issueInvitation(t, nextPatient());
    const https = { 'X-Forwarded-Proto': 'https' };
    const patient = new PatientBrowser(t.server, https);
    const page = await patient.get(`/register/${link.token}`);
    const cookie = page.setCookies.find((c) => c.startsWith('__Host-rd_pcsrf='));
    assert.ok(cookie, page.setCookies.join(' | '));
    for (const attribute of [/;\s*Secure/i, /;\s*Path=\/(;|$)/, /HttpOnly/, /SameSite=Strict/]) assert.match(cookie, attribute);
    assert.doesNotMatch(cookie, /Domain=/i);
    assert.ok(!page.setCookies.some((c) => c.startsWith('rd_pcsrf=')));

    // An attacker's own cookie and the form field signed for it, planted in the patient's browser.
    const attacker = new PatientBrowser(t.server);
    await attacker.get(`/register/${link.token}`);
    const victim = new PatientBrowser(t.server, https);
    victim.cookies.set('rd_pcsrf', attacker.cookies.get('rd_pcsrf')!);
    const planted = await victim.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' }, { csrf: attacker.csrf! });
    assert.equal(planted.status, 403);

    const own = await patient.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' });
    assert.equal(own.status, 303);
  });

  it('the right date of birth and PIN verify the patient and lead to step 2', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);

    const posted = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' });

    assert.equal(posted.status, 303);
    assert.equal(posted.location, 'account', 'the redirect does not repeat the token');
    const proof = posted.setCookies.find((c) => c.startsWith('rd_reg='))!;
    assert.match(proof, /HttpOnly/);
    assert.match(proof, /SameSite=Strict/);
    assert.ok(!proof.includes(link.token) && !proof.includes(link.pin));

    const step2 = await browser.follow(`/register/${link.token}/verify`, posted);
    assert.equal(step2.status, 200);
    assert.equal(h1Of(step2.text), 'Create your account');
    assert.ok(strip(step2.text).includes(`Thank you, ${link.patient.firstName}.`));
    for (const label of ['Username', 'Password', 'Confirm password', 'Security question', 'Security answer']) {
      assert.match(step2.text, new RegExp(`<label for="[a-zA-Z]+">${label}</label>`), label);
    }
    assert.match(step2.text, /<button type="submit" class="button">Create account<\/button>/);
    assert.match(step2.text, /autocomplete="username"/);
    assert.equal((step2.text.match(/autocomplete="new-password"/g) ?? []).length, 2);

    const row = await invitationRow(t, link.invitationId);
    assert.ok(row.verifiedAt);
    assert.equal(row.verifiedBy, 'pin');
    assert.equal(row.status, 'pending');
    const [verified] = await auditOf(link.invitationId);
    assert.equal(verified!.action, 'invitation.verified');
    assert.equal(verified!.actorType, 'patient');
    assert.equal(verified!.actorId, link.patient.id);
    assert.equal(verified!.actorName, `${link.patient.firstName} ${link.patient.lastName}`);
    assert.deepEqual(JSON.parse(verified!.details), { invitationId: link.invitationId, method: 'pin' });
  });

  it('accepts the date of birth with separators a browser may autofill', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);
    const posted = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.patient.dateOfBirth, pin: link.pin, via: 'pin' });
    assert.equal(posted.status, 303);
  });

  it('step 2 cannot be opened or submitted without passing step 1 in the same browser', async () => {
    const link = await issueInvitation(t, nextPatient());
    const other = await issueInvitation(t, nextPatient());
    const account = {
      username: `skip${Date.now()}`,
      password: 'Lantern-quiver-orbit-marsh-93',
      confirmPassword: 'Lantern-quiver-orbit-marsh-93',
      securityQuestion: 'In what city were you born?',
      securityAnswer: 'Salem',
    };

    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);
    const opened = await browser.get(`/register/${link.token}/account`);
    assert.equal(opened.status, 403);
    assert.equal(h1Of(opened.text), "Please verify it's you first");
    const submitted = await browser.post(`/register/${link.token}/account`, account);
    assert.equal(submitted.status, 403);
    assert.equal(h1Of(submitted.text), "Please verify it's you first");

    // Proof for one invitation does not open another.
    await browser.post(`/register/${other.token}/verify`, { dateOfBirth: other.dob, pin: other.pin, via: 'pin' });
    assert.ok(browser.cookies.get('rd_reg'));
    assert.equal((await browser.get(`/register/${link.token}/account`)).status, 403);
    assert.equal((await browser.post(`/register/${link.token}/account`, account)).status, 403);

    // Nor does a proof cookie edited to name it.
    const [, expires, signature] = browser.cookies.get('rd_reg')!.split('.');
    browser.cookies.set('rd_reg', `${link.invitationId}.${expires}.${signature}`);
    assert.equal((await browser.post(`/register/${link.token}/account`, account)).status, 403);

    // A verification that is then repeated elsewhere voids the older proof.
    const first = new PatientBrowser(t.server);
    await first.get(`/register/${other.token}`);
    await first.post(`/register/${other.token}/verify`, { dateOfBirth: other.dob, pin: other.pin, via: 'pin' });
    assert.equal((await first.get(`/register/${other.token}/account`)).status, 200);
    const second = new PatientBrowser(t.server);
    await second.get(`/register/${other.token}`);
    await second.post(`/register/${other.token}/verify`, { dateOfBirth: other.dob, pin: other.pin, via: 'pin' });
    assert.equal((await first.get(`/register/${other.token}/account`)).status, 403);

    assert.equal((await invitationRow(t, link.invitationId)).status, 'pending');
    assert.equal((await invitationRow(t, link.invitationId)).portalAccountId, null);
  });
});
