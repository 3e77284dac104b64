import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { In, Like } from 'typeorm';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { RegistrationInvitation } from '../../src/invitations/registration-invitation.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { Patient } from '../../src/patients/patient.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { Practice } from '../../src/practices/practice.entity';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import {
  GOOD_PASSWORD,
  IssuedLink,
  LOCKED_MESSAGE,
  MAPLE_GROVE,
  PatientBrowser,
  h1Of,
  invitationRow,
  issueInvitation,
  openAccountsOf,
  patientsOf,
  strip,
  wrongPin,
} from './registration-fixtures';

const form = (username: string) => ({ username, password: GOOD_PASSWORD, confirmPassword: GOOD_PASSWORD });

describe('registration under concurrency: the database decides', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let patients: Patient[];
  let next = 0;
  const nextPatient = () => patients[next++]!;

  before(async () => {
    t = await startTestApp({ seedPatients: 40, label: 'regrace' });
    patients = await patientsOf(t);
    // Races are decided by the unique index and the invitation row lock; without a security
    // answer each submission costs one argon2 hash instead of two, which keeps this file quick.
    await t.dataSource.getRepository(Practice).update({ name: MAPLE_GROVE }, { allowSecurityQuestions: false });
  });
  after(async () => t?.close());

  async function verified(link: IssuedLink): Promise<PatientBrowser> {
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);
    const posted = await browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: link.pin, via: 'pin' });
    assert.equal(posted.status, 303);
    await browser.get(`/register/${link.token}/account`);
    return browser;
  }

  it('20 patients racing for one username: exactly one account, 19 "Username has already been taken"', async () => {
    const links: IssuedLink[] = [];
    for (let i = 0; i < 20; i++) links.push(await issueInvitation(t, nextPatient()));
    const browsers = await Promise.all(links.map(verified));
    const name = `race${Date.now()}`;

    // Different spellings of one name: the normalised unique index, not the text typed, decides.
    const pages = await Promise.all(links.map((link, i) => browsers[i]!.post(`/register/${link.token}/account`, form(i % 2 ? name.toUpperCase() : name))));

    const winners = pages.filter((p) => p.status === 200);
    const losers = pages.filter((p) => p.status === 422);
    assert.equal(winners.length, 1, `statuses: ${pages.map((p) => p.status).join(',')}`);
    assert.equal(h1Of(winners[0]!.text), 'Your account is ready');
    assert.equal(losers.length, 19);
    for (const page of losers) assert.ok(page.text.includes('Username has already been taken'), strip(page.text).slice(0, 400));

    const accounts = await t.dataSource.getRepository(PortalAccount).findBy({ usernameNormalized: name });
    assert.equal(accounts.length, 1);
    const invitations = await t.dataSource.getRepository(RegistrationInvitation).findBy({ id: In(links.map((l) => l.invitationId)) });
    assert.equal(invitations.filter((i) => i.status === 'used').length, 1);
    assert.equal(invitations.filter((i) => i.status === 'pending').length, 19);
    assert.equal(invitations.find((i) => i.status === 'used')!.portalAccountId, accounts[0]!.id);
    assert.equal(await t.dataSource.getRepository(OutboxMessage).countBy({ template: 'account-ready-email', subjectId: accounts[0]!.id }), 1);
  });

  it('20 submissions of one verified link at once: exactly one account', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = await verified(link);
    const stamp = Date.now();

    const pages = await Promise.all(Array.from({ length: 20 }, (_, i) => browser.post(`/register/${link.token}/account`, form(`once${stamp}n${i}`))));

    const winners = pages.filter((p) => p.status === 200);
    assert.equal(winners.length, 1, `statuses: ${pages.map((p) => p.status).join(',')}`);
    for (const page of pages.filter((p) => p.status !== 200)) {
      assert.equal(page.status, 410);
      assert.equal(h1Of(page.text), 'This registration link is not valid');
    }
    const accounts = await t.dataSource.getRepository(PortalAccount).findBy({ usernameNormalized: Like(`once${stamp}n%`) });
    assert.equal(accounts.length, 1);
    assert.deepEqual(
      (await openAccountsOf(t, link.patient.id)).map((a) => a.id),
      [accounts[0]!.id],
    );
    const invitation = await invitationRow(t, link.invitationId);
    assert.equal(invitation.status, 'used');
    assert.equal(invitation.portalAccountId, accounts[0]!.id);
    assert.equal(await t.dataSource.getRepository(AuditEvent).countBy({ action: 'portal.registered', patientId: link.patient.id }), 1);
    assert.equal(await t.dataSource.getRepository(OutboxMessage).countBy({ template: 'account-ready-email', patientId: link.patient.id }), 1);
  });

  it('12 wrong PINs at once count exactly five failures, then the link is locked', async () => {
    const link = await issueInvitation(t, nextPatient());
    const browser = new PatientBrowser(t.server);
    await browser.get(`/register/${link.token}`);

    const pages = await Promise.all(
      Array.from({ length: 12 }, () => browser.post(`/register/${link.token}/verify`, { dateOfBirth: link.dob, pin: wrongPin(link.pin), via: 'pin' })),
    );

    assert.deepEqual(pages.map((p) => p.status).sort(), [...Array(8).fill(403), ...Array(4).fill(422)].sort());
    for (const page of pages.filter((p) => p.status === 403)) assert.ok(strip(page.text).includes(LOCKED_MESSAGE));
    const row = await invitationRow(t, link.invitationId);
    assert.equal(row.failedAttempts, 5);
    assert.equal(row.status, 'locked');
    assert.equal(await t.dataSource.getRepository(AuditEvent).countBy({ action: 'invitation.verify_failed', patientId: link.patient.id }), 5);
    assert.equal(await t.dataSource.getRepository(AuditEvent).countBy({ action: 'invitation.locked', patientId: link.patient.id }), 1);
  });
});
