import { Global, Module } from '@nestjs/common';
import { DevMailbox } from '../mail/dev-mailbox';
import { MailTemplates } from '../mail/mail-templates';
import { MessageSender } from '../mail/message-sender';
import { SmsWebhookTransport } from '../mail/sms-webhook-transport';
import { SmtpEmailTransport } from '../mail/smtp-email-transport';
import { DevMailboxController } from './dev-mailbox.controller';
import { OutboxAdminController } from './outbox-admin.controller';
import { MessageDefinitions } from './message-definitions';
import { MessageRenderer } from './message-renderer';
import { OutboxAdminService } from './outbox-admin.service';
import { OutboxDispatcher } from './outbox-dispatcher';
import { OutboxService } from './outbox.service';

/**
 * Writing messages (OutboxService, for every feature), the registry where features define their
 * message kinds (MessageDefinitions), delivering them, and the admin and dev-mailbox APIs.
 */
@Global()
@Module({
  controllers: [OutboxAdminController, DevMailboxController],
  providers: [
    OutboxService,
    MessageDefinitions,
    OutboxDispatcher,
    OutboxAdminService,
    MailTemplates,
    MessageRenderer,
    MessageSender,
    SmtpEmailTransport,
    SmsWebhookTransport,
    DevMailbox,
  ],
  exports: [OutboxService, MessageDefinitions, OutboxDispatcher, MessageRenderer, MessageSender],
})
export class OutboxModule {}
