import { Injectable } from '@nestjs/common';
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

  send(message: OutgoingMessage): Promise<DeliveryReceipt> {
    if (message.channel === 'email') return this.smtp.configured ? this.smtp.send(message) : this.devMailbox.deliver(message);
    return this.smsWebhook.configured ? this.smsWebhook.send(message) : this.devMailbox.deliver(message);
  }
}
