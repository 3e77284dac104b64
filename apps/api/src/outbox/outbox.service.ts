import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { MessageChannel } from '@resetdesk/contracts';
import { type MessageKind, kindKey } from './message-definition';
import { MessageDefinitions } from './message-definitions';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxMessagesRepository } from './outbox-messages.repository';

export interface NewOutboxMessage {
  practiceId: string;
  patientId: string | null;
  channel: MessageChannel;
  /** Which message: a constant exported by the feature that registered its definition. */
  kind: MessageKind;
  /** Email address, or E.164 phone number for sms/voice. */
  toAddress: string;
  /** The id of the row the kind's definition re-reads to render the message. */
  subjectId: string;
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

  constructor(private readonly definitions: MessageDefinitions) {}

  async enqueue(manager: EntityManager, message: NewOutboxMessage): Promise<OutboxMessage> {
    const definition = this.definitions.find(message.kind);
    if (!definition) throw new Error(`Message kind ${kindKey(message.kind)} is not registered with the outbox`);
    if (!definition.channels.includes(message.channel)) throw new Error(`Message kind ${kindKey(message.kind)} is not sent by ${message.channel}`);
    const now = new Date();
    const row: OutboxMessage = {
      id: randomUUID(),
      practiceId: message.practiceId,
      patientId: message.patientId,
      channel: message.channel,
      template: definition.template,
      toAddress: message.toAddress,
      subjectType: definition.subject,
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
    await OutboxMessagesRepository.on(manager).insert(row);
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
