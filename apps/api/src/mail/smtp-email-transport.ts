import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { Transporter } from 'nodemailer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { stableMessageId } from './message-id';
import { DeliveryReceipt, OutgoingMessage } from './outgoing-message';

/**
 * Email through the SMTP server in SMTP_URL. Timeouts bound one delivery; the dispatcher renews
 * its claim while it lasts. Every attempt of a message carries the same Message-ID.
 */
@Injectable()
export class SmtpEmailTransport implements OnApplicationShutdown {
  private transporter: Transporter | null = null;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get configured(): boolean {
    return this.config.mail.smtpUrl !== null;
  }

  async send(message: OutgoingMessage): Promise<DeliveryReceipt> {
    const info = await this.transport().sendMail({
      from: this.config.mail.from,
      to: message.to,
      subject: message.subject ?? '',
      text: message.text,
      html: message.html ?? undefined,
      messageId: stableMessageId(message.outboxMessageId, this.config.publicUrl),
      headers: {
        'Auto-Submitted': 'auto-generated',
        'X-Auto-Response-Suppress': 'All',
        'X-ResetDesk-Message-Id': message.outboxMessageId,
      },
      // Message content is ours, but never let a template turn into a file or URL fetch.
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const rejected = (info.rejected ?? []).length;
    if (rejected > 0) throw new Error(`The mail server refused the recipient (${info.response ?? 'no response'})`);
    return { providerMessageId: typeof info.messageId === 'string' ? info.messageId.slice(0, 255) : null };
  }

  onApplicationShutdown(): void {
    this.transporter?.close();
    this.transporter = null;
  }

  private transport(): Transporter {
    if (!this.config.mail.smtpUrl) throw new Error('SMTP_URL is not set');
    this.transporter ??= nodemailer.createTransport({
      url: this.config.mail.smtpUrl,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 45_000,
      logger: false,
    } as Parameters<typeof nodemailer.createTransport>[0]);
    return this.transporter;
  }
}
