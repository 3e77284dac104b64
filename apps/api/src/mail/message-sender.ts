import { Injectable } from '@nestjs/common';
import type { MessageChannel } from '@resetdesk/contracts';
import { DevMailbox } from './dev-mailbox';
import { DeliveryReceipt, OutgoingMessage } from './outgoing-message';
import { SmsWebhookTransport } from './sms-webhook-transport';
import { SmtpEmailTransport } from './smtp-email-transport';

/** Picks the transport for a message: the configured provider, else the dev mailbox. */
@Injectable()
export class MessageSender {
  constructor(
    private readonly smtp: SmtpEmailTransport,
    private readonly smsWebhook: SmsWebhookTransport,
    private readonly devMailbox: DevMailbox,
  ) {}

  private readonly transports = new Map<string, (message: OutgoingMessage) => Promise<DeliveryReceipt>>();

  /** A channel that is not a person's inbox or phone (e.g. back-channel logout to an app) brings its own transport. */
  registerTransport(channel: MessageChannel, send: (message: OutgoingMessage) => Promise<DeliveryReceipt>): void {
    this.transports.set(channel, send);
  }

  send(message: OutgoingMessage): Promise<DeliveryReceipt> {
    const own = this.transports.get(message.channel);
    if (own) return own(message);
    if (message.channel === 'email') return this.smtp.configured ? this.smtp.send(message) : this.devMailbox.deliver(message);
    return this.smsWebhook.configured ? this.smsWebhook.send(message) : this.devMailbox.deliver(message);
  }
}
