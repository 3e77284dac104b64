import { PermanentDeliveryError } from '../mail/delivery-error';
import { MessageCancelled } from '../outbox/message-definition';
import type { PortalAccount } from './portal-account.entity';

/** A portal account's notices are void once the account is closed; closed by a reset, they were replaced. */
export function assertAccountDeliverable(account: PortalAccount): void {
  if (account.status !== 'closed') return;
  if (account.closeReason === 'reset') throw new MessageCancelled('The portal account was replaced by a reset; not sent');
  throw new PermanentDeliveryError('Portal account was closed; not sent');
}
