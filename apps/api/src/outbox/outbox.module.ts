import { Global, Module } from '@nestjs/common';
import { DevMailbox } from '../mail/dev-mailbox';
import { MailTemplates } from '../mail/mail-templates';
import { MessageRenderer } from '../mail/message-renderer';
import { MessageSender } from '../mail/message-sender';
import { SmsWebhookTransport } from '../mail/sms-webhook-transport';
import { SmtpEmailTransport } from '../mail/smtp-email-transport';
import { DevMailboxController } from './dev-mailbox.controller';
import { EmailsController } from './emails.controller';
import { EmailsService } from './emails.service';
import { OutboxDispatcher } from './outbox-dispatcher';
import { OutboxService } from './outbox.service';

/** Writing messages (OutboxService, for every feature), delivering them, and the admin and dev-mailbox APIs. */
@Global()
@Module({
  controllers: [EmailsController, DevMailboxController],
  providers: [
    OutboxService,
    OutboxDispatcher,
    EmailsService,
    MailTemplates,
    MessageRenderer,
    MessageSender,
    SmtpEmailTransport,
    SmsWebhookTransport,
    DevMailbox,
  ],
  exports: [OutboxService, OutboxDispatcher, MessageRenderer],
})
export class OutboxModule {}
