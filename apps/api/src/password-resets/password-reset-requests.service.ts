import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager, MoreThan } from 'typeorm';
import { AuditLogService } from '../audit/audit-log.service';
import { AuditEventInput } from '../audit/audit-events';
import { maskEmail } from '../common/masking';
import { UnitOfWork } from '../database/unit-of-work';
import { AppSecrets } from '../common/app-secrets';
import { OutboxService } from '../outbox/outbox.service';
import { PASSWORD_RESET_EMAIL } from './recovery-messages';
import { patientActor } from '../patient-pages/patient-actor';
import { Patient } from '../patients/patient.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { normaliseUsername } from '../portal-accounts/username';
import { PasswordResetRequest } from './password-reset-request.entity';
import { needsOfficeToUnlock } from './password-reset-links.service';
import { PasswordResetRequestsRepository } from './password-reset-requests.repository';

/** A reset link works this long, and once. */
export const RESET_LINK_TTL_MS = 60 * 60_000;
/** Links per account per hour; beyond that the request is answered as usual and nothing is sent. */
export const MAX_RESET_LINKS_PER_HOUR = 5;

type RequestedReason = Extract<AuditEventInput, { action: 'password_reset.requested' }>['reason'];

/**
 * "Forgot password": a single-use link, valid one hour, emailed to the address on the chart.
 * The caller answers the same whatever happens here, and both branches do the same lookups in
 * a transaction of the same shape; the email goes out through the outbox after commit.
 */
@Injectable()
export class PasswordResetRequestsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly secrets: AppSecrets,
    private readonly outbox: OutboxService,
    private readonly audit: AuditLogService,
  ) {}

  async request(usernameInput: string): Promise<void> {
    const username = usernameInput.trim();
    const usernameNormalized = normaliseUsername(username.slice(0, 64));
    const found = await this.uow.dataSource.manager.findOneBy(PortalAccount, { usernameNormalized });
    const account = found && found.status !== 'closed' ? found : null;
    // Whether or not the name exists: one token minted and hashed, one transaction of lookups.
    const { token, tokenHash } = this.secrets.newToken();
    const queued = await this.uow.run(async (manager) => {
      const locked = await this.lockAccount(manager, account?.patientId ?? randomUUID(), account?.id ?? randomUUID());
      if (!locked || locked.account.status === 'closed') return false;
      return this.issue(manager, locked.account, locked.patient, token, tokenHash);
    });
    if (queued) this.outbox.notifyCommitted();
  }

  /** The patient row first (the staff reset's order), then the account; null when there is none. */
  private async lockAccount(manager: EntityManager, patientId: string, accountId: string): Promise<{ patient: Patient; account: PortalAccount } | null> {
    const patient = await this.uow.forUpdate(manager.createQueryBuilder(Patient, 'patient').where('patient.id = :patientId', { patientId })).getOne();
    const account = await this.uow.forUpdate(manager.createQueryBuilder(PortalAccount, 'account').where('account.id = :accountId', { accountId })).getOne();
    return patient && account ? { patient, account } : null;
  }

  private async issue(manager: EntityManager, account: PortalAccount, patient: Patient, token: string, tokenHash: string): Promise<boolean> {
    const now = new Date();
    const recent = await manager.count(PasswordResetRequest, {
      where: { portalAccountId: account.id, createdAt: MoreThan(new Date(now.getTime() - 3_600_000)) },
    });
    const refusal: RequestedReason | null = needsOfficeToUnlock(account)
      ? 'account_locked'
      : !patient.email
        ? 'no_chart_email'
        : recent >= MAX_RESET_LINKS_PER_HOUR
          ? 'throttled'
          : null;
    const base = { portalAccountId: account.id, username: account.username };
    if (refusal) {
      await this.audit.append(
        manager,
        account.practiceId,
        {
          action: 'password_reset.requested',
          patientId: patient.id,
          reason: refusal,
          details: { ...base, passwordResetId: null, sentTo: null, expiresAt: null, revokedPasswordResets: 0, outboxMessageId: null },
        },
        patientActor(patient),
      );
      return false;
    }

    // A new link replaces the old ones, and inherits their failed answers: asking for a fresh
    // link must not buy a fresh set of guesses.
    const requests = PasswordResetRequestsRepository.on(manager);
    const pending = await requests.pendingOfAccount(account.id);
    if (pending.length) {
      await requests.revoke(
        pending.map((p) => p.id),
        now,
      );
    }
    const request: PasswordResetRequest = {
      id: randomUUID(),
      practiceId: account.practiceId,
      patientId: patient.id,
      portalAccountId: account.id,
      tokenHash,
      status: 'pending',
      expiresAt: new Date(now.getTime() + RESET_LINK_TTL_MS),
      failedAttempts: Math.max(0, ...pending.map((p) => p.failedAttempts)),
      verifiedAt: null,
      usedAt: null,
      revokedAt: null,
      createdAt: now,
    };
    await requests.insert(request);
    const message = await this.outbox.enqueue(manager, {
      practiceId: account.practiceId,
      patientId: patient.id,
      channel: 'email',
      kind: PASSWORD_RESET_EMAIL,
      toAddress: patient.email!,
      subjectId: request.id,
      sealedSecret: this.secrets.sealForOutbox(token),
    });
    await this.audit.append(
      manager,
      account.practiceId,
      {
        action: 'password_reset.requested',
        patientId: patient.id,
        reason: 'link_sent',
        details: {
          ...base,
          passwordResetId: request.id,
          sentTo: maskEmail(patient.email!),
          expiresAt: request.expiresAt.toISOString(),
          revokedPasswordResets: pending.length,
          outboxMessageId: message.id,
        },
      },
      patientActor(patient),
    );
    return true;
  }
}
