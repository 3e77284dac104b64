import { Injectable } from '@nestjs/common';
import { UnitOfWork } from '../database/unit-of-work';
import { PermanentDeliveryError } from '../mail/delivery-error';
import { MailTemplates } from '../mail/mail-templates';
import { type MessageMode } from './message-definition';
import { MessageDefinitions } from './message-definitions';
import type { OutboxMessage } from './outbox-message.entity';

export interface RenderedMessage {
  /** Null for text and voice messages. */
  subject: string | null;
  /** The plain-text email part, or the whole text/voice message. */
  text: string;
  /** Null for text and voice messages. */
  html: string | null;
}

/** What previews show instead of a live secret, so an admin screen never holds a usable link or code. */
export const PREVIEW_TOKEN = 'REDACTED';

/**
 * Turns an outbox row into the words a patient receives. Messages carry ids only: the
 * definition of the row's kind re-reads its rows at send time, so a message never holds chart
 * data, and a link revoked while its email waited in the queue is not sent.
 */
@Injectable()
export class MessageRenderer {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly templates: MailTemplates,
    private readonly definitions: MessageDefinitions,
  ) {}

  /**
   * The message as it will be delivered, with its real secret. Throws MessageCancelled when a
   * newer message replaced it, PermanentDeliveryError when it must not be sent any more.
   */
  async renderForDelivery(message: OutboxMessage, secret: string | null): Promise<RenderedMessage> {
    if (this.definitions.carriesSecret(message) && !secret) {
      throw new PermanentDeliveryError('The one-time link or code of this message was erased; not sent');
    }
    return this.render(message, secret, 'deliver');
  }

  /** The message as an admin may see it: placeholders instead of the link token or code, whatever its state. */
  renderPreview(message: OutboxMessage): Promise<RenderedMessage> {
    return this.render(message, null, 'preview');
  }

  private async render(message: OutboxMessage, secret: string | null, mode: MessageMode): Promise<RenderedMessage> {
    const definition = this.definitions.forRow(message);
    if (!definition) throw new PermanentDeliveryError(`Unknown message template "${message.template}"; not sent`);
    if (!definition.channels.includes(message.channel)) {
      throw new PermanentDeliveryError(
        definition.channels.includes('email')
          ? `The ${definition.template} template is an email, not a ${message.channel} message; not sent`
          : `The ${definition.template} template is sent by ${definition.channels.join(' or ')} only; not sent`,
      );
    }
    const placeholder = definition.previewSecret ?? PREVIEW_TOKEN;
    const data = await definition.load({
      message,
      secret: mode === 'preview' ? placeholder : (secret ?? ''),
      mode,
      manager: this.uow.dataSource.manager,
    });
    if (message.channel !== 'email') {
      return { subject: null, text: this.templates.render(definition.template, message.channel, data), html: null };
    }
    const subject = this.templates.render(definition.template, 'subject', data);
    const withSubject = { ...data, subject };
    return {
      subject,
      text: this.templates.render(definition.template, 'text', withSubject),
      html: this.templates.render(definition.template, 'html', withSubject),
    };
  }
}
