import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLogService } from '../audit/audit-log.service';
import type { AuditActor } from '../audit/audit-events';
import { SecurityNotices, maskedContact } from './security-notices';

export interface ContactChange {
  practiceId: string;
  patientId: string;
  field: 'email' | 'phone';
  /** The address before and after the change (E.164 for phones). */
  previous: string | null;
  current: string | null;
  /** The chart's other contact (its phone for an email change, its email for a phone change), told too. */
  other?: string | null;
}

/**
 * A chart's email or phone changed (by whatever writes charts: the EHR import or sync). The old
 * address hears of it as well as the new one, so a takeover by changing the contact first does
 * not go unseen. Call `record` in the transaction that wrote the chart.
 */
@Injectable()
export class ChartContactChanges {
  constructor(
    private readonly audit: AuditLogService,
    private readonly notices: SecurityNotices,
  ) {}

  async record(manager: EntityManager, change: ContactChange, actor?: AuditActor): Promise<void> {
    if ((change.previous ?? '') === (change.current ?? '')) return;
    const event = await this.audit.append(
      manager,
      change.practiceId,
      {
        action: 'patient.contact_changed',
        patientId: change.patientId,
        details: { field: change.field, from: maskedContact(change.field, change.previous), to: maskedContact(change.field, change.current) },
      },
      actor,
    );
    const [email, phone] = change.field === 'email' ? [[change.previous, change.current], [change.other]] : [[change.other], [change.previous, change.current]];
    await this.notices.notify(manager, event, [...email.map((address) => ({ email: address })), ...phone.map((address) => ({ phone: address }))]);
  }
}
