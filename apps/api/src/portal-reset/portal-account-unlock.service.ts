import { Injectable } from '@nestjs/common';
import { SecurityNotices } from '../notifications/security-notices';
import { AuditLogService } from '../audit/audit-log.service';
import { unlockRefusal } from './portal-action-rules';
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
      const refusal = unlockRefusal({ active: patient.active, email: patient.email, openAccountStatus: account?.status ?? null });
      if (refusal) throw refusal;
      // The rule above refuses when there is no open account.
      account = account!;
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
