import type { EntityManager } from 'typeorm';
import { PermanentDeliveryError } from '../mail/delivery-error';
import { spacedDigits } from '../mail/formatting';
import { loadPractice } from '../outbox/message-context';
import type { MessageDefinition, MessageKind } from '../outbox/message-definition';
import type { OutboxMessage } from '../outbox/outbox-message.entity';

/** Security codes sent by text or voice are valid this long (the pages that check them use the same). */
export const SECURITY_CODE_TTL_MINUTES = 10;
export const PREVIEW_CODE = '••••••';

/**
 * The text or call carrying a security code, for a link of any feature: `assertLinkDeliverable`
 * is that feature's check that the link the code belongs to is still pending.
 */
export function securityCodeMessage(
  kind: MessageKind,
  assertLinkDeliverable: (manager: EntityManager, message: OutboxMessage) => Promise<void>,
): MessageDefinition {
  return {
    ...kind,
    channels: ['sms', 'voice'],
    carriesSecret: true,
    previewSecret: PREVIEW_CODE,
    async load({ message, secret, mode, manager }) {
      if (mode === 'deliver') {
        await assertLinkDeliverable(manager, message);
        // A code that sat in the queue past its lifetime would only make the patient fail a check.
        if (Date.now() - message.createdAt.getTime() > SECURITY_CODE_TTL_MINUTES * 60_000) {
          throw new PermanentDeliveryError('Security code expired before it could be sent; not sent');
        }
      }
      const practice = await loadPractice(manager, message.practiceId);
      return { practiceName: practice.name, code: secret, spokenCode: spacedDigits(secret), minutes: SECURITY_CODE_TTL_MINUTES };
    },
  };
}
