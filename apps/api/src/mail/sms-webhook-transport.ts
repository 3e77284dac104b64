import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DeliveryReceipt, OutgoingMessage } from './outgoing-message';

export const SMS_WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Text and voice messages are handed to a provider gateway as `{to, channel, body}` JSON at
 * SMS_WEBHOOK_URL. Anything but a 2xx is a failure the dispatcher retries. The response body is
 * never copied into errors: a gateway echoing the request would put the code in our tables.
 */
@Injectable()
export class SmsWebhookTransport {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get configured(): boolean {
    return this.config.sms.webhookUrl !== null;
  }

  async send(message: OutgoingMessage): Promise<DeliveryReceipt> {
    const url = this.config.sms.webhookUrl;
    if (!url) throw new Error('SMS_WEBHOOK_URL is not set');
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        // Lets the gateway drop a repeat if our record of a delivery was lost after sending.
        'Idempotency-Key': message.outboxMessageId,
      },
      body: JSON.stringify({ to: message.to, channel: message.channel, body: message.text }),
      signal: AbortSignal.timeout(SMS_WEBHOOK_TIMEOUT_MS),
      redirect: 'error',
    });
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`The SMS gateway answered HTTP ${response.status}`);
    }
    return { providerMessageId: await providerId(response) };
  }
}

async function providerId(response: Response): Promise<string | null> {
  try {
    const body = (await response.json()) as { id?: unknown; messageId?: unknown; sid?: unknown };
    const id = body?.id ?? body?.messageId ?? body?.sid;
    return typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, 255) : null;
  } catch {
    return null;
  }
}
