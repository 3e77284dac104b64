import { Injectable } from '@nestjs/common';
import type { DashboardCounts, OutboxStatus } from '@resetdesk/contracts';
import { AuditEvent } from '../audit/audit-event.entity';
import { calendarDateIn, practiceTimeZone, startOfDayIn } from '../audit/practice-time';
import { TenantScope } from '../common/tenant-scope';
import { UnitOfWork } from '../database/unit-of-work';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';

export const EXPIRING_WITHIN_HOURS = 24;

/** What needs the desk's attention in the signed-in user's practice, as counts. */
@Injectable()
export class DashboardService {
  constructor(
    private readonly tenant: TenantScope,
    private readonly uow: UnitOfWork,
  ) {}

  async counts(now = new Date()): Promise<DashboardCounts> {
    const timeZone = await practiceTimeZone(this.uow.dataSource.manager, this.tenant.practiceId);
    const startOfToday = startOfDayIn(calendarDateIn(now, timeZone), timeZone);
    const expiringBy = new Date(now.getTime() + EXPIRING_WITHIN_HOURS * 3_600_000);
    // A pending invitation past its expiry is shown as expired everywhere, so it is not counted.
    const pending = () => this.tenant.query(RegistrationInvitation, 'i').andWhere("i.status = 'pending' AND i.expiresAt > :now", { now });
    const messages = (status: OutboxStatus) => this.tenant.query(OutboxMessage, 'm').andWhere('m.status = :status', { status }).getCount();

    // Read from the locked links (few), not by deriving every patient's status.
    const lockedLinksQuery = this.tenant
      .query(RegistrationInvitation, 'li')
      .andWhere("li.status = 'locked'")
      .andWhere('NOT EXISTS (SELECT 1 FROM registration_invitations ln WHERE ln.patientId = li.patientId AND ln.createdAt > li.createdAt)')
      .andWhere('NOT EXISTS (SELECT 1 FROM portal_accounts pa WHERE pa.patientId = li.patientId AND pa.openMarker = 1)');
    const [lockedAccounts, pendingInvitations, expiringInvitations, lockedLinks, resetsToday, messagesRetrying, messagesDead] = await Promise.all([
      this.tenant.query(PortalAccount, 'a').andWhere("a.status = 'locked'").getCount(),
      pending().getCount(),
      pending().andWhere('i.expiresAt <= :expiringBy', { expiringBy }).getCount(),
      lockedLinksQuery.getCount(),
      this.tenant.query(AuditEvent, 'e').andWhere("e.action = 'portal.reset' AND e.createdAt >= :startOfToday", { startOfToday }).getCount(),
      messages('retrying'),
      messages('dead'),
    ]);
    return { lockedAccounts, pendingInvitations, expiringInvitations, lockedLinks, resetsToday, messagesRetrying, messagesDead };
  }
}
