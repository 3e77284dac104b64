import { Injectable } from '@nestjs/common';
import { SecurityNotices } from '../notifications/security-notices';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { PortalAccountsRepository } from '../portal-accounts/portal-accounts.repository';
import { PatientDeskActionRunner } from './patient-desk-action.runner';

/** Lifts a lock (too many failed sign-ins or recovery attempts) once staff have spoken to the patient. */
@Injectable()
export class PortalAccountUnlockService {
  constructor(
    private readonly notices: SecurityNotices,
    private readonly runner: PatientDeskActionRunner,
    private readonly audit: AuditLogService,
  ) {}

  async unlock(patientId: string): Promise<void> {
    await this.runner.run({ patientId, scope: 'portal-unlock', body: {}, idempotencyKey: null }, async (manager, { patient, openAccount: account }) => {
      if (!account) throw new DomainException('conflict', 'This patient has no portal account to unlock.');
      if (account.status !== 'locked') throw new DomainException('conflict', 'This portal account is not locked.');
      await PortalAccountsRepository.on(manager).unlock(account.id, new Date());
      const event = await this.audit.append(manager, patient.practiceId, {
        action: 'portal.unlocked',
        patientId: patient.id,
        details: { portalAccountId: account.id, username: account.username, lockReason: account.lockReason },
      });
      await this.notices.notify(manager, event);
    });
  }
}
