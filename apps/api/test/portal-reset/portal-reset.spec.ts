import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { AppSecrets } from '../../src/common/app-secrets';
import { dumpAllTables, dumpCharts, MAPLE_GROVE_ID, patientIdsWith, RIVERSIDE_ID } from '../support/fixtures';
import { MAPLE_ADMIN, MAPLE_DESK, StaffClient } from '../support/staff-client';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

const RESET = { reason: 'forgot_credentials', identityVerification: 'in_person_photo_id' };

describe('POST /api/patients/:id/portal-reset', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  before(async () => {
    t = await startTestApp({ seedPatients: 60, label: 'reset' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
  });
  after(async () => t?.close());

  it('closes the active account, issues a PIN-protected invitation, queues the email and leaves every chart row untouched', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const [account] = await t.dataSource.query(`SELECT * FROM portal_accounts WHERE patientId = ? AND openMarker = 1`, [patientId]);
    await t.dataSource.query(
      `INSERT INTO portal_sessions (id, tokenHash, practiceId, portalAccountId, createdAt, lastSeenAt, expiresAt) VALUES (UUID(), SHA2(UUID(), 256), ?, ?, NOW(3), NOW(3), NOW(3) + INTERVAL 1 DAY)`,
      [MAPLE_GROVE_ID, account.id],
    );
    const chartsBefore = await dumpCharts(t.dataSource);

    const response = await desk.post(`/api/patients/${patientId}/portal-reset`, { ...RESET, note: 'Called from home' });

    assert.equal(response.status, 201, JSON.stringify(response.body));
    const body = response.body;
    assert.deepEqual(Object.keys(body).sort(), ['auditEventId', 'chartChecksumAfter', 'chartChecksumBefore', 'invitation', 'retiredUsername']);
    assert.equal(body.retiredUsername, account.username);
    assert.match(body.invitation.pin, /^\d{6}$/);
    assert.match(body.invitation.sentTo, /^[a-z]\*\*\*@example\.com$/);
    assert.match(body.chartChecksumBefore, /^[0-9a-f]{64}$/);
    assert.equal(body.chartChecksumAfter, body.chartChecksumBefore);
    const hoursValid = (Date.parse(body.invitation.expiresAt) - Date.now()) / 3600_000;
    assert.ok(hoursValid > 71.9 && hoursValid <= 72, `link valid ${hoursValid} h`);

    assert.deepEqual(await dumpCharts(t.dataSource), chartsBefore, 'no chart row of any patient changed');

    const [closed] = await t.dataSource.query(`SELECT * FROM portal_accounts WHERE id = ?`, [account.id]);
    assert.equal(closed.status, 'closed');
    assert.equal(closed.closeReason, 'reset');
    assert.equal(closed.openMarker, null);
    assert.equal(closed.passwordHash, null);
    assert.equal(closed.securityAnswerHash, null);
    assert.equal(closed.usernameNormalized, account.usernameNormalized, 'the username stays retired');
    const live = await t.dataSource.query(`SELECT id FROM portal_sessions WHERE portalAccountId = ? AND revokedAt IS NULL`, [account.id]);
    assert.equal(live.length, 0, 'every session of the old account is revoked');

    const invitations = await t.dataSource.query(`SELECT * FROM registration_invitations WHERE patientId = ? AND status = 'pending'`, [patientId]);
    assert.equal(invitations.length, 1);
    const secrets = t.app.get(AppSecrets);
    assert.equal(invitations[0].pinHash, secrets.pinHash(body.invitation.pin));
    assert.equal(invitations[0].id, body.invitation.id);

    const [message] = await t.dataSource.query(`SELECT * FROM outbox_messages WHERE subjectId = ?`, [body.invitation.id]);
    assert.equal(message.template, 'registration-email');
    assert.equal(message.status, 'queued');
    assert.ok(message.sealedSecret, 'the link token travels sealed');

    const dump = await dumpAllTables(t.dataSource);
    assert.ok(!dump.includes(`"${body.invitation.pin}"`), 'the PIN is stored nowhere in clear');
    const token = secrets.unsealFromOutbox(message.sealedSecret);
    assert.ok(!dump.includes(token), 'the link token is stored nowhere in clear');

    const [event] = await t.dataSource.query(`SELECT * FROM audit_events WHERE id = ?`, [body.auditEventId]);
    assert.equal(event.action, 'portal.reset');
    assert.equal(event.reason, 'forgot_credentials');
    assert.equal(event.patientId, patientId);
    assert.equal(event.actorName, 'Devon Clarke');
    const details = JSON.parse(event.details);
    assert.equal(details.identityVerification, 'in_person_photo_id');
    assert.equal(details.note, 'Called from home');
    assert.equal(details.previousStatus, 'active');
    assert.equal(details.retiredUsername, account.username);
    assert.equal(details.invitationId, body.invitation.id);
    assert.equal(details.chartChecksumBefore, body.chartChecksumBefore);
    assert.equal(details.chartChecksumAfter, body.chartChecksumAfter);
    assert.equal(details.revokedSessions, 1);
    assert.ok(event.ip, 'the IP is recorded');

    const detail = await desk.get(`/api/patients/${patientId}`);
    assert.equal(detail.body.portalStatus, 'invited');
    assert.equal(detail.body.portalAccount, null);
    assert.equal(detail.body.invitation.status, 'pending');
    assert.equal(detail.body.invitation.emailStatus, 'queued');
    assert.equal(detail.body.chartChecksum, body.chartChecksumBefore);
  });

  it('revokes the previous invitation and pending password-reset links', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'invited');
    const [old] = await t.dataSource.query(`SELECT id FROM registration_invitations WHERE patientId = ? AND status = 'pending'`, [patientId]);
    const response = await desk.post(`/api/patients/${patientId}/portal-reset`, RESET);
    assert.equal(response.status, 201);
    assert.equal(response.body.retiredUsername, null);
    const [revoked] = await t.dataSource.query(`SELECT status, revokedAt FROM registration_invitations WHERE id = ?`, [old.id]);
    assert.equal(revoked.status, 'revoked');
    assert.ok(revoked.revokedAt);
  });

  it('refuses a chart without an email address with the exact message, and changes nothing', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'no-email');
    const before = await dumpAllTables(t.dataSource);
    const response = await desk.post(`/api/patients/${patientId}/portal-reset`, RESET);
    assert.equal(response.status, 422);
    assert.equal(response.body.message, 'The chart has no email address. Add one in the chart before resetting.');
    const afterDump = await dumpAllTables(t.dataSource);
    assert.equal(afterDump.replace(/staff_sessions: .*\n/, ''), before.replace(/staff_sessions: .*\n/, ''));
  });

  it('validates reason, identity verification and the note that "other" requires', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const bad = await desk.post(`/api/patients/${patientId}/portal-reset`, { reason: 'bored', identityVerification: 'vibes' });
    assert.equal(bad.status, 422);
    assert.ok(bad.body.errors.reason);
    assert.ok(bad.body.errors.identityVerification);
    const other = await desk.post(`/api/patients/${patientId}/portal-reset`, { reason: 'other', identityVerification: 'in_person_photo_id', note: '  ' });
    assert.equal(other.status, 422);
    assert.match(other.body.errors.note, /required/);
    const unknown = await desk.post(`/api/patients/${patientId}/portal-reset`, { ...RESET, force: true });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.message, /force/);
  });

  it('replays an Idempotency-Key with the first answer and does nothing twice; a different body under the key is refused', async () => {
    const [, patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const first = await desk.post(`/api/patients/${patientId}/portal-reset`, RESET).set('Idempotency-Key', 'key-replay-1');
    const second = await desk.post(`/api/patients/${patientId}/portal-reset`, RESET).set('Idempotency-Key', 'key-replay-1');
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.deepEqual(second.body, first.body);
    const events = await t.dataSource.query(`SELECT id FROM audit_events WHERE action = 'portal.reset' AND patientId = ?`, [patientId]);
    assert.equal(events.length, 1);
    const mismatch = await desk.post(`/api/patients/${patientId}/portal-reset`, { ...RESET, reason: 'patient_request' }).set('Idempotency-Key', 'key-replay-1');
    assert.equal(mismatch.status, 422);
    assert.match(mismatch.body.message, /Idempotency-Key/);
    const [stored] = await t.dataSource.query(`SELECT responseBody FROM idempotency_keys WHERE \`key\` = 'key-replay-1'`);
    assert.ok(!stored.responseBody.includes(first.body.invitation.pin), 'the remembered answer is sealed');
  });

  it('20 concurrent resets of one patient end with exactly one pending invitation', async () => {
    const [, , patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const responses = await Promise.all(Array.from({ length: 20 }, () => desk.post(`/api/patients/${patientId}/portal-reset`, RESET)));
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(20).fill(201),
    );
    const pending = await t.dataSource.query(`SELECT id FROM registration_invitations WHERE patientId = ? AND status = 'pending'`, [patientId]);
    assert.equal(pending.length, 1);
    const open = await t.dataSource.query(`SELECT id FROM portal_accounts WHERE patientId = ? AND openMarker = 1`, [patientId]);
    assert.equal(open.length, 0);
    const retired = responses.filter((r) => r.body.retiredUsername !== null);
    assert.equal(retired.length, 1, 'only the first reset had an account to retire');
  });

  it('20 concurrent replays of one Idempotency-Key make one reset', async () => {
    const [, , , patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => desk.post(`/api/patients/${patientId}/portal-reset`, RESET).set('Idempotency-Key', 'race-key')),
    );
    assert.ok(responses.every((r) => r.status === 201));
    assert.equal(new Set(responses.map((r) => r.body.invitation.pin)).size, 1);
    const invitations = await t.dataSource.query(`SELECT id FROM registration_invitations WHERE patientId = ?`, [patientId]);
    assert.equal(invitations.length, 1);
  });

  it('needs the CSRF header, a session, and a patient of the same practice', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const [foreignId] = await patientIdsWith(t.dataSource, RIVERSIDE_ID, 'active');
    assert.equal((await desk.postWithoutCsrf(`/api/patients/${patientId}/portal-reset`, RESET)).status, 403);
    const foreign = await desk.post(`/api/patients/${foreignId}/portal-reset`, RESET);
    const missing = await desk.post(`/api/patients/00000000-0000-4000-8000-000000000000/portal-reset`, RESET);
    assert.equal(foreign.status, 404);
    assert.deepEqual(foreign.body, missing.body, "another practice's patient looks exactly like a missing one");
    const admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    assert.equal((await admin.post(`/api/patients/${patientId}/portal-reset`, RESET)).status, 201, 'admins can reset too');
  });

  it('runs many desk actions on different patients at once without a failure, whatever locks the database takes', async () => {
    // Replacing an invitation writes the unique pending-invitation index, whose neighbouring
    // entries belong to other patients: InnoDB can pick a deadlock victim among such resets.
    const patientIds = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'invited');
    assert.ok(patientIds.length >= 8, `enough invited patients (${patientIds.length})`);
    const queue = [...patientIds, ...patientIds, ...patientIds];
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const response = await desk.post(`/api/patients/${id}/portal-reset`, RESET);
          statuses.push(response.status);
          assert.equal(response.status, 201, JSON.stringify(response.body));
        }
      }),
    );
    assert.equal(statuses.length, patientIds.length * 3);
    const [{ n }] = await t.dataSource.query(`SELECT COUNT(*) AS n FROM registration_invitations WHERE patientId IN (?) AND status = 'pending'`, [patientIds]);
    assert.equal(Number(n), patientIds.length, 'one pending invitation per patient');
  });

  it('runs a deadlock victim again from the start, and gives up after three tries', async () => {
    const uow = t.app.get(UnitOfWork);
    const deadlock = () => Object.assign(new Error('Deadlock found when trying to get lock'), { driverError: { code: 'ER_LOCK_DEADLOCK', errno: 1213 } });
    let attempts = 0;
    const answer = await uow.run(async (manager) => {
      attempts++;
      await manager.query('SELECT 1');
      if (attempts === 1) throw deadlock();
      return 'done';
    });
    assert.equal(answer, 'done');
    assert.equal(attempts, 2);

    attempts = 0;
    await assert.rejects(
      uow.run(async () => {
        attempts++;
        throw deadlock();
      }),
      /Deadlock/,
    );
    assert.equal(attempts, 3);

    attempts = 0;
    await assert.rejects(
      uow.run(async () => {
        attempts++;
        throw new Error('not a deadlock');
      }),
      /not a deadlock/,
    );
    assert.equal(attempts, 1, 'other failures are not retried');
  });
});

describe('resend and unlock', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let desk: StaffClient;
  before(async () => {
    t = await startTestApp({ seedPatients: 60, label: 'resend' });
    desk = await StaffClient.signIn(t.server, MAPLE_DESK);
  });
  after(async () => t?.close());

  it('sends a first invitation to a patient who never had one, then replaces it on resend', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'none');
    const first = await desk.post(`/api/patients/${patientId}/invitation/resend`);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.deepEqual(Object.keys(first.body).sort(), ['expiresAt', 'id', 'pin', 'sentTo']);
    const second = await desk.post(`/api/patients/${patientId}/invitation/resend`);
    assert.equal(second.status, 201);
    assert.notEqual(second.body.pin === first.body.pin && second.body.id === first.body.id, true);
    const rows = await t.dataSource.query(`SELECT id, status FROM registration_invitations WHERE patientId = ? ORDER BY createdAt`, [patientId]);
    assert.deepEqual(
      rows.map((r: { status: string }) => r.status),
      ['revoked', 'pending'],
    );
    const actions = await t.dataSource.query(`SELECT action FROM audit_events WHERE patientId = ? ORDER BY seq`, [patientId]);
    assert.deepEqual(
      actions.map((r: { action: string }) => r.action),
      ['invitation.created', 'invitation.resent'],
    );
  });

  it('answers 409 when the patient has an active account', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'active');
    const response = await desk.post(`/api/patients/${patientId}/invitation/resend`);
    assert.equal(response.status, 409);
    assert.match(response.body.message, /active portal account/);
  });

  it('unlocks a locked account and answers the patient; a second unlock is a 409', async () => {
    const [patientId] = await patientIdsWith(t.dataSource, MAPLE_GROVE_ID, 'locked');
    const response = await desk.post(`/api/patients/${patientId}/portal-unlock`);
    assert.equal(response.status, 200);
    assert.equal(response.body.id, patientId);
    assert.equal(response.body.portalStatus, 'active');
    assert.equal(response.body.portalAccount.lockReason, null);
    const again = await desk.post(`/api/patients/${patientId}/portal-unlock`);
    assert.equal(again.status, 409);
    assert.equal(again.body.message, 'This portal account is not locked.');
    const [event] = await t.dataSource.query(`SELECT details FROM audit_events WHERE action = 'portal.unlocked' AND patientId = ?`, [patientId]);
    assert.ok(JSON.parse(event.details).lockReason);
  });

  it("hides other practices' patients on resend and unlock", async () => {
    const [foreignLocked] = await patientIdsWith(t.dataSource, RIVERSIDE_ID, 'locked');
    assert.equal((await desk.post(`/api/patients/${foreignLocked}/portal-unlock`)).status, 404);
    assert.equal((await desk.post(`/api/patients/${foreignLocked}/invitation/resend`)).status, 404);
  });
});
