import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager, IsNull, MoreThanOrEqual, Not } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { PermanentDeliveryError } from '../mail/delivery-error';
import { formatDateTimeInZone } from '../mail/formatting';
import { securityCodeMessage } from '../patient-pages/security-code-message';
import { assertAccountDeliverable } from '../portal-accounts/account-messages';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { MessageCancelled, type MessageKind } from '../outbox/message-definition';
import { loadGreeting, loadSubject, linkWithToken } from '../outbox/message-context';
import { MessageDefinitions } from '../outbox/message-definitions';

export const REGISTRATION_EMAIL: MessageKind = { template: 'registration-email', subject: 'registration_invitation' };
export const REGISTRATION_SECURITY_CODE: MessageKind = { template: 'security-code', subject: 'registration_invitation' };
export const ACCOUNT_READY_EMAIL: MessageKind = { template: 'account-ready-email', subject: 'portal_account' };

/**
 * An invitation's messages go out only while it is pending. One revoked because the front desk
 * issued a newer one (a reset or a resend) was replaced, not failed: cancelled.
 */
export async function assertInvitationDeliverable(manager: EntityManager, invitation: RegistrationInvitation): Promise<void> {
  if (invitation.status === 'revoked') {
    const replaced = await manager.exists(RegistrationInvitation, {
      where: { patientId: invitation.patientId, id: Not(invitation.id), createdAt: MoreThanOrEqual(invitation.createdAt), createdByStaffId: Not(IsNull()) },
    });
    if (replaced) throw new MessageCancelled('Replaced by a newer invitation; not sent');
  }
  if (invitation.status !== 'pending') throw new PermanentDeliveryError('Invitation no longer pending; not sent');
  if (invitation.expiresAt.getTime() <= Date.now()) throw new PermanentDeliveryError('Invitation expired before it could be sent; not sent');
}

/** Registration's messages: the invitation email, its security code, and "your account is ready". */
@Injectable()
export class RegistrationMessages implements OnModuleInit {
  constructor(
    private readonly definitions: MessageDefinitions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const publicUrl = this.config.publicUrl;
    this.definitions.register(
      {
        ...REGISTRATION_EMAIL,
        channels: ['email'],
        carriesSecret: true,
        async load({ message, secret, mode, manager }) {
          const invitation = await loadSubject(manager, RegistrationInvitation, message, 'invitation');
          if (mode === 'deliver') await assertInvitationDeliverable(manager, invitation);
          const greeting = await loadGreeting(manager, message.practiceId, invitation.patientId);
          // After a reset the patient had an account, now retired; a first invitation must not say so.
          const hadAccount = await manager.exists(PortalAccount, { where: { patientId: invitation.patientId, practiceId: message.practiceId } });
          return {
            ...greeting.data,
            hadAccount,
            link: linkWithToken(publicUrl, 'register', secret),
            expiresAt: formatDateTimeInZone(invitation.expiresAt, greeting.practice.timeZone),
          };
        },
      },
      securityCodeMessage(REGISTRATION_SECURITY_CODE, async (manager, message) => {
        const invitation = await loadSubject(manager, RegistrationInvitation, message, 'invitation');
        await assertInvitationDeliverable(manager, invitation);
      }),
      {
        ...ACCOUNT_READY_EMAIL,
        channels: ['email'],
        carriesSecret: false,
        async load({ message, mode, manager }) {
          const account = await loadSubject(manager, PortalAccount, message, 'portal account');
          if (mode === 'deliver') assertAccountDeliverable(account);
          const greeting = await loadGreeting(manager, message.practiceId, account.patientId);
          return {
            ...greeting.data,
            username: account.username,
            loginUrl: `${publicUrl}/login`,
            changedAt: formatDateTimeInZone(message.createdAt, greeting.practice.timeZone),
          };
        },
      },
    );
  }
}
