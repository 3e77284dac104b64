import type { EntityManager } from 'typeorm';
import type { MessageChannel } from '@resetdesk/contracts';
import type { OutboxMessage } from './outbox-message.entity';

/**
 * Which message a row is: the template it renders and what its `subjectId` names. Features
 * export one constant per kind and pass it to `OutboxService.enqueue`; only the definition
 * that registered the kind knows how to read its subject.
 */
export interface MessageKind {
  /** The files `mail/templates/<template>.<part>.hbs`; also what the Emails screen shows and filters on. */
  readonly template: string;
  /** What the row's subjectId is the id of (stored as `subjectType`). */
  readonly subject: string;
}

export type MessageMode = 'deliver' | 'preview';

export interface MessageLoad {
  message: OutboxMessage;
  /** The unsealed link token or code when delivering; a placeholder when previewing. */
  secret: string;
  mode: MessageMode;
  manager: EntityManager;
}

/** A message kind as its feature registers it with the outbox (`MessageDefinitions.register`). */
export interface MessageDefinition extends MessageKind {
  /** `email` renders the subject, text and html parts; `sms` and `voice` render the part of that name. */
  readonly channels: readonly MessageChannel[];
  /** The row carries a sealed one-time link or code; without it the message can never be (re)sent. */
  readonly carriesSecret: boolean;
  /** What a preview shows in place of the secret. */
  readonly previewSecret?: string;
  /**
   * Reads the rows the message is about, by its ids, and answers the template's data. When
   * delivering, it is also the still-deliverable check: throw `MessageCancelled` when something
   * newer replaced the message, `PermanentDeliveryError` when it must not go out for any other reason.
   */
  load(input: MessageLoad): Promise<Record<string, unknown>>;
}

/**
 * The message was replaced by a newer one (a reset revoked its link and sent another): not a
 * failure, so the row becomes `cancelled` and nothing warns about it.
 */
export class MessageCancelled extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MessageCancelled';
  }
}

export function kindKey(kind: MessageKind): string {
  return `${kind.template}/${kind.subject}`;
}
