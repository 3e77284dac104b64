import type { MessageChannel } from '@resetdesk/contracts';

/** A rendered message on its way out: what every transport receives. */
export interface OutgoingMessage {
  /** The outbox row's id: lets a provider (and the dev mailbox) recognise a repeated delivery. */
  outboxMessageId: string;
  practiceId: string;
  channel: MessageChannel;
  to: string;
  subject: string | null;
  text: string;
  html: string | null;
}

export interface DeliveryReceipt {
  /** The id the provider gave the message, when it gives one. */
  providerMessageId: string | null;
}
