import { Injectable } from '@nestjs/common';
import { SecurityNotices } from '../notifications/security-notices';
import { MoreThan } from 'typeorm';
import { AuditLogService } from '../audit/audit-log.service';
import { maskEmail } from '../common/masking';
import { UnitOfWork } from '../database/unit-of-work';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { OutboxService } from '../outbox/outbox.service';
import { USERNAME_REMINDER_EMAIL } from './recovery-messages';
import { patientActor } from '../patient-pages/patient-actor';
import { Patient } from '../patients/patient.entity';
import { Practice } from '../practices/practice.entity';

/** Reminders per patient per hour; beyond that the request is answered as usual and nothing is sent. */
export const MAX_USERNAME_REMINDERS_PER_HOUR = 3;

/**
 * "Forgot username": the chart's email address and date of birth together name the patient;
 * their username(s) go to that address, never to the page. The caller answers the same
 * whether or not anything matched.
 */
@Injectable()
export class UsernameRemindersService {
  constructor(
    private readonly notices: SecurityNotices,
    private readonly uow: UnitOfWork,
    private readonly outbox: OutboxService,
    private readonly audit: AuditLogService,
  ) {}

  /** `dateOfBirth` as YYYY-MM-DD. */
  async remind(email: string, dateOfBirth: string): Promise<void> {
    // Several charts may share an address (a parent and children), the date of birth tells them apart.
    const queued = await this.uow.run(async (manager) => {
      // Naming every practice lets the (practiceId, email) index answer instead of a scan of all charts.
      const practiceIds = (await manager.find(Practice, { select: { id: true } })).map((p) => p.id);
      const patients = practiceIds.length
        ? await this.uow
            .forUpdate(
              manager
                .createQueryBuilder(Patient, 'patient')
                .where('patient.practiceId IN (:...practiceIds) AND patient.email = :email AND patient.dateOfBirth = :dateOfBirth', {
                  practiceIds,
                  email,
                  dateOfBirth,
                }),
            )
            .getMany()
        : [];
      let sent = 0;
      const since = new Date(Date.now() - 3_600_000);
      for (const patient of patients) {
        const recent = await manager.count(OutboxMessage, {
          where: { patientId: patient.id, template: USERNAME_REMINDER_EMAIL.template, createdAt: MoreThan(since) },
        });
        const throttled = recent >= MAX_USERNAME_REMINDERS_PER_HOUR;
        const message = throttled
          ? null
          : await this.outbox.enqueue(manager, {
              practiceId: patient.practiceId,
              patientId: patient.id,
              channel: 'email',
              kind: USERNAME_REMINDER_EMAIL,
              toAddress: patient.email!,
              subjectId: patient.id,
            });
        const requested = await this.audit.append(
          manager,
          patient.practiceId,
          {
            action: 'username.reminder_requested',
            patientId: patient.id,
            reason: throttled ? 'throttled' : 'sent',
            details: { sentTo: maskEmail(patient.email!), outboxMessageId: message?.id ?? null },
          },
          patientActor(patient),
        );
        // The reminder itself is the email; the phone is told it was asked for (never when throttled).
        if (message) await this.notices.notify(manager, requested, { phone: patient.phone });
        if (message) sent++;
      }
      return sent;
    });
    if (queued) this.outbox.notifyCommitted();
  }
}
