import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager, IsNull, MoreThanOrEqual, Not } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { PermanentDeliveryError } from '../mail/delivery-error';
import { describeDuration, formatDateTimeInZone } from '../mail/formatting';
import { MessageCancelled, type MessageKind } from '../outbox/message-definition';
import { loadGreeting, loadSubject, linkWithToken } from '../outbox/message-context';
import { MessageDefinitions } from '../outbox/message-definitions';
import { securityCodeMessage } from '../patient-pages/security-code-message';
import { assertAccountDeliverable } from '../portal-accounts/account-messages';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { PortalAccountsRepository } from '../portal-accounts/portal-accounts.repository';
import { PasswordResetRequest } from './password-reset-request.entity';

export const PASSWORD_RESET_EMAIL: MessageKind = { template: 'password-reset-email', subject: 'password_reset' };
export const RECOVERY_SECURITY_CODE: MessageKind = { template: 'security-code', subject: 'password_reset' };
export const PASSWORD_CHANGED_EMAIL: MessageKind = { template: 'password-changed-email', subject: 'portal_account' };
export const USERNAME_REMINDER_EMAIL: MessageKind = { template: 'username-reminder-email', subject: 'patient' };

/**
 * A reset link's messages go out only while it is pending. One revoked because a newer link or a
 * staff reset's invitation followed it was replaced, not failed: cancelled.
 */
export async function assertResetLinkDeliverable(manager: EntityManager, request: PasswordResetRequest): Promise<void> {
  if (request.status === 'revoked') {
    const since = MoreThanOrEqual(request.createdAt);
    const replaced =
      (await manager.exists(PasswordResetRequest, { where: { portalAccountId: request.portalAccountId, id: Not(request.id), createdAt: since } })) ||
      (await manager.exists(RegistrationInvitation, { where: { patientId: request.patientId, createdAt: since, createdByStaffId: Not(IsNull()) } }));
    if (replaced) throw new MessageCancelled('Replaced by a newer link; not sent');
  }
  if (request.status !== 'pending') throw new PermanentDeliveryError('Password reset link no longer pending; not sent');
  if (request.expiresAt.getTime() <= Date.now()) throw new PermanentDeliveryError('Password reset link expired before it could be sent; not sent');
}

/** Recovery's messages: the reset link, its security code, "your password was changed", and the username reminder. */
@Injectable()
export class RecoveryMessages implements OnModuleInit {
  constructor(
    private readonly definitions: MessageDefinitions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    const publicUrl = this.config.publicUrl;
    this.definitions.register(
      {
        ...PASSWORD_RESET_EMAIL,
        channels: ['email'],
        carriesSecret: true,
        async load({ message, secret, mode, manager }) {
          const request = await loadSubject(manager, PasswordResetRequest, message, 'password reset request');
          if (mode === 'deliver') await assertResetLinkDeliverable(manager, request);
          const greeting = await loadGreeting(manager, message.practiceId, request.patientId);
          return {
            ...greeting.data,
            link: linkWithToken(publicUrl, 'reset-password', secret),
            validFor: describeDuration(request.expiresAt.getTime() - request.createdAt.getTime()),
            expiresAt: formatDateTimeInZone(request.expiresAt, greeting.practice.timeZone),
          };
        },
      },
      securityCodeMessage(RECOVERY_SECURITY_CODE, async (manager, message) => {
        const request = await loadSubject(manager, PasswordResetRequest, message, 'password reset request');
        await assertResetLinkDeliverable(manager, request);
      }),
      {
        ...PASSWORD_CHANGED_EMAIL,
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
      {
        ...USERNAME_REMINDER_EMAIL,
        channels: ['email'],
        carriesSecret: false,
        async load({ message, manager }) {
          const greeting = await loadGreeting(manager, message.practiceId, message.subjectId ?? '');
          if (!greeting.patient) throw new PermanentDeliveryError('The patient this message was about no longer exists; not sent');
          const accounts = await PortalAccountsRepository.on(manager).openOfPatient(message.practiceId, greeting.patient.id);
          const usernames = accounts.map((a) => a.username);
          return {
            ...greeting.data,
            usernames,
            hasAccounts: usernames.length > 0,
            severalAccounts: usernames.length > 1,
            loginUrl: `${publicUrl}/login`,
            forgotPasswordUrl: `${publicUrl}/forgot-password`,
          };
        },
      },
    );
  }
}
