import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { MessageChannel } from '@resetdesk/contracts';
import { Sql } from '../database/sql';
import { OutboxMessage } from './outbox-message.entity';

/** Every message template the product sends. */
export type MessageTemplate =
  | 'registration-email'
  | 'account-ready-email'
  | 'security-code'
  | 'password-reset-email'
  | 'password-changed-email'
  | 'username-reminder-email';

export interface NewOutboxMessage {
  practiceId: string;
  patientId: string | null;
  channel: MessageChannel;
  template: MessageTemplate;
  /** Email address, or E.164 phone number for sms/voice. */
  toAddress: string;
  /** The row the sender re-reads to render the message (e.g. registration_invitation + its id). */
  subjectType: string | null;
  subjectId: string | null;
  /** A secret the message must carry (a link token or a code), already sealed with SecretKeys.seal('outbox', …). */
  sealedSecret?: string | null;
  maxAttempts?: number;
}

/**
 * Writes messages to the outbox inside the caller's transaction. Delivery happens after commit
 * (OutboxDispatcher), so a slow or failing mail server can never fail or hold up the change.
 */
@Injectable()
export class OutboxService {
  private readonly listeners = new Set<() => void>();

  async enqueue(manager: EntityManager, message: NewOutboxMessage): Promise<OutboxMessage> {
    const now = new Date();
    const row: OutboxMessage = {
      id: randomUUID(),
      practiceId: message.practiceId,
      patientId: message.patientId,
      channel: message.channel,
      template: message.template,
      toAddress: message.toAddress,
      subjectType: message.subjectType,
      subjectId: message.subjectId,
      sealedSecret: message.sealedSecret ?? null,
      status: 'queued',
      attempts: 0,
      maxAttempts: message.maxAttempts ?? 8,
      nextAttemptAt: now,
      claimedUntil: null,
      lastError: null,
      subject: null,
      providerMessageId: null,
      sentAt: null,
      createdAt: now,
      updatedAt: now,
    };
    await Sql.on(manager).insert(OutboxMessage, row);
    return row;
  }

  /** Called by writers after their transaction commits: wakes the dispatcher without waiting for its poll. */
  notifyCommitted(): void {
    for (const listener of this.listeners) listener();
  }

  onCommitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
