import { Injectable } from '@nestjs/common';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { PatientDeskActionRunner } from './patient-desk-action.runner';

/** Lifts a lock (too many failed sign-ins or recovery attempts) once staff have spoken to the patient. */
@Injectable()
export class PortalAccountUnlockService {
  constructor(
    private readonly runner: PatientDeskActionRunner,
    private readonly audit: AuditLogService,
  ) {}

  async unlock(patientId: string): Promise<void> {
    await this.runner.run({ patientId, scope: 'portal-unlock', body: {}, idempotencyKey: null }, async (manager, { patient, openAccount: account }) => {
      if (!account) throw new DomainException('conflict', 'This patient has no portal account to unlock.');
      if (account.status !== 'locked') throw new DomainException('conflict', 'This portal account is not locked.');
      await manager.update(
        PortalAccount,
        { id: account.id },
        { status: 'active', lockReason: null, lockedAt: null, failedLoginCount: 0, updatedAt: new Date() },
      );
      await this.audit.append(manager, patient.practiceId, {
        action: 'portal.unlocked',
        patientId: patient.id,
        details: { portalAccountId: account.id, username: account.username, lockReason: account.lockReason },
      });
    });
  }
}
