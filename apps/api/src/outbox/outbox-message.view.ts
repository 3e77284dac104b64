import type { OutboxMessageView } from '@resetdesk/contracts';
import { iso } from '../common/masking';
import { OutboxMessage } from './outbox-message.entity';

export function toOutboxMessageView(message: OutboxMessage): OutboxMessageView {
  const waiting = message.status === 'queued' || message.status === 'retrying';
  return {
    id: message.id,
    channel: message.channel,
    template: message.template,
    to: message.toAddress,
    subject: message.subject,
    status: message.status,
    attempts: message.attempts,
    maxAttempts: message.maxAttempts,
    lastError: message.lastError,
    nextAttemptAt: waiting ? iso(message.nextAttemptAt) : null,
    sentAt: iso(message.sentAt),
    createdAt: iso(message.createdAt)!,
    patientId: message.patientId,
  };
}
