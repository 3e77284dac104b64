import { Inject, Injectable } from '@nestjs/common';
import type { DevMailboxMessage } from '@resetdesk/contracts';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryReceipt, OutgoingMessage } from './outgoing-message';

interface StoredMessage extends DevMailboxMessage {
  practiceId: string;
}

const ID = /^[0-9a-f-]{36}$/i;

/**
 * Stands in for patients' inboxes and phones in development: each delivered message is a JSON
 * file under data/mailbox/, outside the product's tables, so its working link is allowed there.
 * Named by the outbox message id, so a message delivered twice (a crashed sender) is one file.
 * Refused in production, where a message must reach a real patient or fail visibly.
 */
@Injectable()
export class DevMailbox {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  /** Why the mailbox API is off, or null when it is on. */
  get offReason(): string | null {
    if (this.config.env === 'production') return 'The dev mailbox is off in production';
    if (this.config.mail.smtpUrl) return 'The dev mailbox is off because SMTP_URL is set';
    return null;
  }

  async deliver(message: OutgoingMessage): Promise<DeliveryReceipt> {
    if (this.config.env === 'production') {
      throw new Error(
        message.channel === 'email'
          ? 'SMTP_URL is not set and the dev mailbox is refused in production'
          : 'SMS_WEBHOOK_URL is not set and the dev mailbox is refused in production',
      );
    }
    const dir = this.config.mail.devMailboxDir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const stored: StoredMessage = {
      id: message.outboxMessageId,
      practiceId: message.practiceId,
      channel: message.channel,
      to: message.to,
      subject: message.subject,
      text: message.text,
      html: message.html,
      createdAt: new Date().toISOString(),
    };
    // Write then rename, so a reader never sees half a file.
    const file = join(dir, `${stored.id}.json`);
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(stored, null, 2), { mode: 0o600 });
    await rename(temporary, file);
    return { providerMessageId: `dev-mailbox:${stored.id}` };
  }

  /** The practice's delivered messages, newest first. */
  async list(practiceId: string): Promise<DevMailboxMessage[]> {
    let files: string[];
    try {
      files = (await readdir(this.config.mail.devMailboxDir)).filter((f) => f.endsWith('.json'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const messages = await Promise.all(files.map((f) => this.read(f.slice(0, -'.json'.length))));
    return messages
      .filter((m): m is StoredMessage => m !== null && m.practiceId === practiceId)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
      .map(publicView);
  }

  async get(practiceId: string, id: string): Promise<DevMailboxMessage | null> {
    const message = await this.read(id);
    return message && message.practiceId === practiceId ? publicView(message) : null;
  }

  private async read(id: string): Promise<StoredMessage | null> {
    if (!ID.test(id)) return null;
    try {
      return JSON.parse(await readFile(join(this.config.mail.devMailboxDir, `${id}.json`), 'utf8')) as StoredMessage;
    } catch {
      return null;
    }
  }
}

function publicView({ id, channel, to, subject, text, html, createdAt }: StoredMessage): DevMailboxMessage {
  return { id, channel, to, subject, text, html, createdAt };
}
