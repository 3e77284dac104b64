import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { MessageChannel } from '@resetdesk/contracts';
import { AuditEvent } from '../audit/audit-event.entity';
import { maskEmail, maskPhone } from '../common/masking';
import { PermanentDeliveryError } from '../mail/delivery-error';
import { formatDateTimeInZone } from '../mail/formatting';
import { loadGreeting } from '../outbox/message-context';
import type { MessageKind } from '../outbox/message-definition';
import { MessageDefinitions } from '../outbox/message-definitions';
import { OutboxService } from '../outbox/outbox.service';
import { Patient } from '../patients/patient.entity';

/**
 * "Something happened to your account": after every recovery or change of access the patient is
 * told on every contact the chart has (NIST SP 800-63B-4 §4.2.3, §4.6; OWASP ASVS 6.3.7). The
 * message's subject is the audit event that recorded the change, so the notice says exactly what
 * the log says, and carries nothing secret: no PIN, code, link or password ever reaches it.
 */
export const SECURITY_NOTICE: MessageKind = { template: 'security-notice', subject: 'audit_event' };

/** The audited changes a patient is told about, and how each is put to them. */
const NOTICES: Record<string, { headline: string; what: (details: Record<string, unknown>) => string }> = {
  'portal.reset': {
    headline: 'Your patient portal account was reset',
    what: () =>
      'Your patient portal account was reset by our office staff, and your old username no longer works. A separate email has the link to set up your new account.',
  },
  'portal.registered': {
    headline: 'Your patient portal account was created',
    what: (d) => `A patient portal account was created for you${typeof d.username === 'string' ? ` with the username ${d.username}` : ''}.`,
  },
  'password_reset.completed': {
    headline: 'Your patient portal password was changed',
    what: () => 'The password of your patient portal account was changed.',
  },
  'portal.password_changed': {
    headline: 'Your patient portal password was changed',
    what: () => 'The password of your patient portal account was changed.',
  },
  'username.reminder_requested': {
    headline: 'Your patient portal username was requested',
    what: () => 'Someone asked for a reminder of your patient portal username. We emailed it to the address on your chart.',
  },
  'portal.locked': {
    headline: 'Your patient portal account was locked',
    what: () => 'Your patient portal account was locked after too many failed attempts to sign in or to recover it.',
  },
  'portal.unlocked': {
    headline: 'Your patient portal account was unlocked',
    what: () => 'Your patient portal account was unlocked by our office staff.',
  },
  'patient.contact_changed': {
    headline: 'The contact details on your chart changed',
    what: (d) =>
      `The ${d.field === 'phone' ? 'phone number' : 'email address'} on your chart was changed from ${String(d.from ?? 'none')} to ${String(d.to ?? 'none')}.`,
  },
};

export const NOTIFIED_ACTIONS: readonly string[] = Object.keys(NOTICES);

/** Where a notice goes: an email address and/or a phone number for a text. */
export interface NoticeContacts {
  email?: string | null;
  phone?: string | null;
}

@Injectable()
export class SecurityNotices implements OnModuleInit {
  constructor(
    private readonly definitions: MessageDefinitions,
    private readonly outbox: OutboxService,
  ) {}

  onModuleInit(): void {
    this.definitions.register({
      ...SECURITY_NOTICE,
      channels: ['email', 'sms'],
      carriesSecret: false,
      async load({ message, manager }) {
        const event = message.subjectId ? await manager.findOne(AuditEvent, { where: { id: message.subjectId, practiceId: message.practiceId } }) : null;
        if (!event) throw new PermanentDeliveryError('The event this notice is about no longer exists; not sent');
        const notice = NOTICES[event.action];
        if (!notice) throw new PermanentDeliveryError(`No notice is defined for ${event.action}; not sent`);
        let details: Record<string, unknown> = {};
        try {
          details = JSON.parse(event.details) as Record<string, unknown>;
        } catch {
          // An unreadable detail only loses the username or addresses from the sentence.
        }
        const greeting = await loadGreeting(manager, message.practiceId, event.patientId ?? '');
        return {
          ...greeting.data,
          headline: notice.headline,
          what: notice.what(details),
          when: formatDateTimeInZone(new Date(event.createdAt), greeting.practice.timeZone),
        };
      },
    });
  }

  /**
   * Queues the notice of an audited change to the chart's email and, when the chart has one, a
   * text to its phone (or to the contacts given), in the change's transaction.
   */
  async notify(manager: EntityManager, event: AuditEvent, contacts?: NoticeContacts | NoticeContacts[]): Promise<void> {
    if (!event.patientId) return;
    if (!NOTICES[event.action]) throw new Error(`No notice is defined for ${event.action}`);
    let targets: NoticeContacts[];
    if (contacts) targets = Array.isArray(contacts) ? contacts : [contacts];
    else {
      const patient = await manager.findOne(Patient, { where: { id: event.patientId, practiceId: event.practiceId } });
      targets = patient ? [{ email: patient.email, phone: patient.phone }] : [];
    }
    const seen = new Set<string>();
    for (const target of targets) {
      const sends: [MessageChannel, string | null | undefined][] = [
        ['email', target.email],
        ['sms', target.phone],
      ];
      for (const [channel, toAddress] of sends) {
        if (!toAddress || seen.has(`${channel}:${toAddress.toLowerCase()}`)) continue;
        seen.add(`${channel}:${toAddress.toLowerCase()}`);
        await this.outbox.enqueue(manager, {
          practiceId: event.practiceId,
          patientId: event.patientId,
          channel,
          kind: SECURITY_NOTICE,
          toAddress,
          subjectId: event.id,
        });
      }
    }
  }
}

/** The masked forms a contact-change notice and its audit event show (never the full old address). */
export function maskedContact(field: 'email' | 'phone', value: string | null | undefined): string | null {
  if (!value) return null;
  return field === 'email' ? maskEmail(value) : maskPhone(value);
}
