import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { OutboxStatus } from '@resetdesk/contracts';
import { AuditLogService } from '../../src/audit/audit-log.service';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { RegistrationInvitation } from '../../src/invitations/registration-invitation.entity';
import { MAPLE_ADMIN, MAPLE_DESK, RIVERSIDE_DESK, StaffClient } from '../support/staff-client';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/staff-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { midnightIn, sql, tamper, todayIn } from './admin-support';

const HOUR = 3_600_000;
const ZONES: Record<string, string> = { [MAPLE_GROVE_ID]: 'America/Los_Angeles', [RIVERSIDE_ID]: 'America/Chicago' };

describe('GET /api/dashboard', { skip: mysqlSkip }, () => {
  let t: TestApp;

  /** The dashboard's numbers, counted independently with SQL over the stored rows. */
  async function countedWithSql(practiceId: string, now: Date) {
    const count = async (query: string, params: unknown[]) => Number((await sql(t, query, params))[0]!.n);
    const startOfToday = midnightIn(ZONES[practiceId]!, todayIn(ZONES[practiceId]!, now));
    return {
      lockedAccounts: await count("SELECT COUNT(*) AS n FROM portal_accounts WHERE practiceId = ? AND status = 'locked'", [practiceId]),
      pendingInvitations: await count("SELECT COUNT(*) AS n FROM registration_invitations WHERE practiceId = ? AND status = 'pending' AND expiresAt > ?", [
        practiceId,
        now,
      ]),
      expiringInvitations: await count(
        "SELECT COUNT(*) AS n FROM registration_invitations WHERE practiceId = ? AND status = 'pending' AND expiresAt > ? AND expiresAt <= ?",
        [practiceId, now, new Date(now.getTime() + 24 * HOUR)],
      ),
      lockedLinks: await count(
        `SELECT COUNT(*) AS n FROM registration_invitations li WHERE li.practiceId = ? AND li.status = 'locked'
           AND NOT EXISTS (SELECT 1 FROM registration_invitations ln WHERE ln.patientId = li.patientId AND ln.createdAt > li.createdAt)
           AND NOT EXISTS (SELECT 1 FROM portal_accounts a WHERE a.patientId = li.patientId AND a.openMarker = 1)`,
        [practiceId],
      ),
      resetsToday: await count("SELECT COUNT(*) AS n FROM audit_events WHERE practiceId = ? AND action = 'portal.reset' AND createdAt >= ?", [
        practiceId,
        startOfToday,
      ]),
      messagesRetrying: await count("SELECT COUNT(*) AS n FROM outbox_messages WHERE practiceId = ? AND status = 'retrying'", [practiceId]),
      messagesDead: await count("SELECT COUNT(*) AS n FROM outbox_messages WHERE practiceId = ? AND status = 'dead'", [practiceId]),
    };
  }

  async function addInvitation(practiceId: string, expiresInHours: number, status: 'pending' | 'revoked' = 'pending') {
    const [patient] = await sql(
      t,
      `SELECT p.id FROM patients p WHERE p.practiceId = ? AND p.email IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM registration_invitations i WHERE i.patientId = p.id AND i.pendingMarker = 1)
         AND NOT EXISTS (SELECT 1 FROM portal_accounts a WHERE a.patientId = p.id AND a.openMarker = 1) ORDER BY p.mrn LIMIT 1`,
      [practiceId],
    );
    assert.ok(patient, 'a patient free for another invitation');
    const now = new Date();
    const invitation: RegistrationInvitation = {
      id: randomUUID(),
      practiceId,
      patientId: patient.id,
      tokenHash: randomUUID().replace(/-/g, '').padEnd(64, '0'),
      pinHash: randomUUID().replace(/-/g, '').padEnd(64, '1'),
      status,
      pendingMarker: status === 'pending' ? 1 : null,
      sentTo: 'someone@example.com',
      expiresAt: new Date(now.getTime() + expiresInHours * HOUR),
      failedAttempts: 0,
      verifiedAt: null,
      verifiedBy: null,
      usedAt: null,
      revokedAt: status === 'revoked' ? now : null,
      lockedAt: null,
      portalAccountId: null,
      createdByStaffId: null,
      createdAt: now,
    };
    await t.dataSource.manager.insert(RegistrationInvitation, invitation);
  }

  async function addMessages(practiceId: string, status: OutboxStatus, n: number) {
    const now = new Date();
    for (let i = 0; i < n; i++) {
      await t.dataSource.manager.insert(OutboxMessage, {
        id: randomUUID(),
        practiceId,
        patientId: null,
        channel: 'email',
        template: 'registration-email',
        toAddress: 'someone@example.com',
        subjectType: null,
        subjectId: null,
        sealedSecret: null,
        status,
        attempts: status === 'dead' ? 8 : 2,
        maxAttempts: 8,
        nextAttemptAt: now,
        claimedUntil: null,
        lastError: status === 'queued' ? null : 'connect ECONNREFUSED',
        subject: null,
        providerMessageId: null,
        sentAt: null,
        createdAt: now,
        updatedAt: now,
      } satisfies OutboxMessage);
    }
  }

  /** A portal.reset event written through the real audit log, optionally moved back in time. */
  async function addReset(practiceId: string, createdAt?: Date) {
    const auditLog = t.app.get(AuditLogService);
    const event = await t.app.get(UnitOfWork).run((manager) =>
      auditLog.append(
        manager,
        practiceId,
        {
          action: 'portal.reset',
          patientId: randomUUID(),
          reason: 'forgot_credentials',
          details: {
            identityVerification: 'in_person_photo_id',
            note: null,
            previousStatus: 'active',
            retiredUsername: 'someone',
            invitationId: randomUUID(),
            sentTo: 's***@example.com',
            chartChecksumBefore: '0'.repeat(64),
            chartChecksumAfter: '0'.repeat(64),
            revokedInvitations: 0,
            revokedPasswordResets: 0,
            revokedSessions: 0,
            outboxMessageId: randomUUID(),
          },
        },
        { type: 'staff', id: null, name: 'Test' },
      ),
    );
    if (createdAt) await tamper(t, 'UPDATE audit_events SET createdAt = ? WHERE id = ?', [createdAt, event.id]);
  }

  before(async () => {
    t = await startTestApp({ seedPatients: 60, label: 'dashboard' });
  });
  after(async () => t?.close());

  it('counts the seeded data as SQL counts it, for each practice separately', async () => {
    const [maple, riverside] = await Promise.all([StaffClient.signIn(t.server, MAPLE_DESK), StaffClient.signIn(t.server, RIVERSIDE_DESK)]);
    for (const [client, practiceId] of [
      [maple, MAPLE_GROVE_ID],
      [riverside, RIVERSIDE_ID],
    ] as const) {
      const response = await client.get('/api/dashboard');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, await countedWithSql(practiceId, new Date()));
      assert.ok(response.body.lockedAccounts > 0, 'the seed has locked accounts');
      assert.ok(response.body.pendingInvitations > 0, 'the seed has pending invitations');
    }
  });

  it('follows changes: expiry windows, revoked and expired invitations, retrying and dead messages, resets since midnight', async () => {
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const before = (await desk.get('/api/dashboard')).body;

    await addInvitation(MAPLE_GROVE_ID, 2); // pending, expiring soon
    await addInvitation(MAPLE_GROVE_ID, 30); // pending, not expiring within 24 h
    await addInvitation(MAPLE_GROVE_ID, -1); // pending on paper, already expired
    await addInvitation(MAPLE_GROVE_ID, 5, 'revoked');
    await addInvitation(RIVERSIDE_ID, 2); // another practice
    await addMessages(MAPLE_GROVE_ID, 'retrying', 2);
    await addMessages(MAPLE_GROVE_ID, 'dead', 3);
    await addMessages(MAPLE_GROVE_ID, 'sent', 1);
    await addMessages(MAPLE_GROVE_ID, 'queued', 1);
    await addMessages(RIVERSIDE_ID, 'dead', 4);
    await addReset(MAPLE_GROVE_ID);
    await addReset(MAPLE_GROVE_ID);
    // One millisecond before midnight in Los Angeles: yesterday, not counted.
    await addReset(MAPLE_GROVE_ID, new Date(midnightIn(ZONES[MAPLE_GROVE_ID]!, todayIn(ZONES[MAPLE_GROVE_ID]!)).getTime() - 1));
    await addReset(RIVERSIDE_ID);

    const after = (await desk.get('/api/dashboard')).body;
    assert.deepEqual(after, {
      lockedAccounts: before.lockedAccounts,
      pendingInvitations: before.pendingInvitations + 2,
      expiringInvitations: before.expiringInvitations + 1,
      // A new invitation to a patient whose link was locked ends "Link locked": counted afresh.
      lockedLinks: (await countedWithSql(MAPLE_GROVE_ID, new Date())).lockedLinks,
      resetsToday: before.resetsToday + 2,
      messagesRetrying: before.messagesRetrying + 2,
      messagesDead: before.messagesDead + 3,
    });
    assert.deepEqual(after, await countedWithSql(MAPLE_GROVE_ID, new Date()));

    const admin = await StaffClient.signIn(t.server, MAPLE_ADMIN);
    assert.deepEqual((await admin.get('/api/dashboard')).body, after, 'the same numbers for every role');
  });
});
