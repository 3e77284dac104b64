import { randomUUID } from 'node:crypto';
import type { MessageChannel } from '@resetdesk/contracts';
import { UnitOfWork } from '../../src/database/unit-of-work';
import { AppSecrets } from '../../src/common/app-secrets';
import { RegistrationInvitation } from '../../src/invitations/registration-invitation.entity';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { OutboxService } from '../../src/outbox/outbox.service';
import { Patient } from '../../src/patients/patient.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { Practice } from '../../src/practices/practice.entity';
import type { TestApp } from '../support/test-app';

/** Shared set-up for the outbox specs: real rows, written the way the product writes them. */

export const MAPLE_GROVE = 'Maple Grove Family Medicine';
export const RIVERSIDE = 'Riverside Pediatrics';

export async function practiceNamed(t: TestApp, name: string): Promise<Practice> {
  return t.dataSource.getRepository(Practice).findOneByOrFail({ name });
}

/** The n-th seeded patient of a practice (by MRN) that has an email address. */
export async function patientWithEmail(t: TestApp, practiceName: string, n = 0): Promise<Patient> {
  const practice = await practiceNamed(t, practiceName);
  const patients = await t.dataSource
    .getRepository(Patient)
    .createQueryBuilder('p')
    .where('p.practiceId = :practiceId AND p.email IS NOT NULL', { practiceId: practice.id })
    .orderBy('p.mrn', 'ASC')
    .getMany();
  const patient = patients[n];
  if (!patient) throw new Error(`No patient #${n} with an email in ${practiceName}`);
  return patient;
}

export async function openAccountOf(t: TestApp, practiceName: string): Promise<PortalAccount> {
  const practice = await practiceNamed(t, practiceName);
  return t.dataSource.getRepository(PortalAccount).findOneOrFail({ where: { practiceId: practice.id, status: 'active' }, order: { username: 'ASC' } });
}

export interface IssuedTestInvitation {
  invitation: RegistrationInvitation;
  token: string;
  pin: string;
}

/**
 * A pending invitation with a token and PIN the test knows, stored like the reset stores it
 * (hashes only). Any pending invitation of the patient is revoked first: one pending per patient.
 */
export async function createPendingInvitation(t: TestApp, patient: Patient, expiresAt = new Date(Date.now() + 72 * 3_600_000)): Promise<IssuedTestInvitation> {
  const secrets = t.app.get(AppSecrets);
  const { token, tokenHash } = secrets.newToken();
  const { pin, pinHash } = secrets.newPin();
  const invitation: RegistrationInvitation = {
    id: randomUUID(),
    practiceId: patient.practiceId,
    patientId: patient.id,
    tokenHash,
    pinHash,
    status: 'pending',
    pendingMarker: 1,
    sentTo: patient.email!,
    expiresAt,
    failedAttempts: 0,
    verifiedAt: null,
    verifiedBy: null,
    usedAt: null,
    revokedAt: null,
    lockedAt: null,
    portalAccountId: null,
    createdByStaffId: null,
    createdAt: new Date(),
  };
  await t.app.get(UnitOfWork).run(async (manager) => {
    await manager.update(
      RegistrationInvitation,
      { patientId: patient.id, status: 'pending' },
      { status: 'revoked', pendingMarker: null, revokedAt: new Date() },
    );
    await manager.insert(RegistrationInvitation, invitation);
  });
  return { invitation, token, pin };
}

/** Queues the registration email in a transaction, as the reset does, then wakes the dispatcher. */
export async function enqueueRegistrationEmail(t: TestApp, issued: IssuedTestInvitation, maxAttempts?: number): Promise<OutboxMessage> {
  const secrets = t.app.get(AppSecrets);
  return enqueue(t, {
    practiceId: issued.invitation.practiceId,
    patientId: issued.invitation.patientId,
    channel: 'email',
    template: 'registration-email',
    toAddress: issued.invitation.sentTo,
    subjectType: 'registration_invitation',
    subjectId: issued.invitation.id,
    sealedSecret: secrets.sealForOutbox(issued.token),
    maxAttempts,
  });
}

export async function enqueueAccountReady(t: TestApp, account: PortalAccount, toAddress: string, maxAttempts?: number): Promise<OutboxMessage> {
  return enqueue(t, {
    practiceId: account.practiceId,
    patientId: account.patientId,
    channel: 'email',
    template: 'account-ready-email',
    toAddress,
    subjectType: 'portal_account',
    subjectId: account.id,
    maxAttempts,
  });
}

export async function enqueueSecurityCode(
  t: TestApp,
  issued: IssuedTestInvitation,
  channel: MessageChannel,
  phone: string,
  code: string,
): Promise<OutboxMessage> {
  return enqueue(t, {
    practiceId: issued.invitation.practiceId,
    patientId: issued.invitation.patientId,
    channel,
    template: 'security-code',
    toAddress: phone,
    subjectType: 'registration_invitation',
    subjectId: issued.invitation.id,
    sealedSecret: t.app.get(AppSecrets).sealForOutbox(code),
  });
}

export async function enqueue(
  t: TestApp,
  message: {
    practiceId: string;
    patientId: string | null;
    channel: MessageChannel;
    template: string;
    toAddress: string;
    /** With the template, names the message kind a feature registered. */
    subjectType: string;
    subjectId: string;
    sealedSecret?: string | null;
    maxAttempts?: number;
  },
): Promise<OutboxMessage> {
  const outbox = t.app.get(OutboxService);
  const { template, subjectType, ...rest } = message;
  const row = await t.app.get(UnitOfWork).run((manager) => outbox.enqueue(manager, { ...rest, kind: { template, subject: subjectType } }));
  outbox.notifyCommitted();
  return row;
}

export async function outboxRow(t: TestApp, id: string): Promise<OutboxMessage> {
  return t.dataSource.getRepository(OutboxMessage).findOneByOrFail({ id });
}

/** Pretends time has passed: the message is due now. */
export async function makeDue(t: TestApp, id: string): Promise<void> {
  await t.dataSource.getRepository(OutboxMessage).update({ id }, { nextAttemptAt: new Date(Date.now() - 1000) });
}

/** Every cell of every table of the test database, as text, with where it came from. */
export async function everyCell(t: TestApp): Promise<{ where: string; value: string }[]> {
  const [tables] = (await t.db.admin.query('SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [t.db.name])) as unknown as [
    { name: string }[],
  ];
  const cells: { where: string; value: string }[] = [];
  for (const { name } of tables) {
    const [rows] = (await t.db.admin.query(`SELECT * FROM \`${t.db.name}\`.\`${name}\``)) as unknown as [Record<string, unknown>[]];
    rows.forEach((row, index) => {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        cells.push({
          where: `${name}[${index}].${column}`,
          value: value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('utf8') : String(value),
        });
      }
    });
  }
  if (cells.length === 0) throw new Error('The table dump is empty: the test is not looking at the right database');
  return cells;
}

/** Audit events of one outbox message, oldest first. */
export async function auditEventsFor(t: TestApp, outboxMessageId: string): Promise<{ action: string; actorType: string; details: Record<string, unknown> }[]> {
  const [rows] = (await t.db.admin.query(`SELECT action, actorType, details FROM \`${t.db.name}\`.audit_events WHERE details LIKE ? ORDER BY seq ASC`, [
    `%${outboxMessageId}%`,
  ])) as unknown as [{ action: string; actorType: string; details: string }[]];
  return rows.map((r) => ({ action: r.action, actorType: r.actorType, details: JSON.parse(r.details) as Record<string, unknown> }));
}
