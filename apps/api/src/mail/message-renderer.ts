import { Inject, Injectable } from '@nestjs/common';
import { EntityManager, Not } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import type { OutboxMessage } from '../outbox/outbox-message.entity';
import type { MessageTemplate } from '../outbox/outbox.service';
import { PasswordResetRequest } from '../password-resets/password-reset-request.entity';
import { Patient } from '../patients/patient.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { Practice } from '../practices/practice.entity';
import { PermanentDeliveryError } from './delivery-error';
import { describeDuration, formatDateTimeInZone, formatPhoneForDisplay, spacedDigits } from './formatting';
import { MailTemplates, TEMPLATE_PARTS } from './mail-templates';

export interface RenderedMessage {
  /** Null for text and voice messages. */
  subject: string | null;
  /** The plain-text email part, or the whole text/voice message. */
  text: string;
  /** Null for text and voice messages. */
  html: string | null;
}

/** Security codes sent by text or voice are valid this long (the registration pages check the same). */
export const SECURITY_CODE_TTL_MINUTES = 10;

/** What previews show instead of a live secret, so an admin screen never holds a usable link or code. */
export const PREVIEW_TOKEN = 'REDACTED';
export const PREVIEW_CODE = '•••••';

/** Templates whose message carries a sealed secret; without it they cannot be (re)sent. */
export const TEMPLATES_WITH_SECRET: ReadonlySet<string> = new Set<MessageTemplate>(['registration-email', 'security-code', 'password-reset-email']);

type Mode = 'deliver' | 'preview';

interface Common {
  practice: Practice;
  patient: Patient | null;
}

/**
 * Turns an outbox row into the words a patient receives. Messages carry ids only: the sender
 * re-reads the invitation, account, patient and practice at send time, so a message never
 * holds chart data, and a link revoked while its email waited in the queue is not sent.
 */
@Injectable()
export class MessageRenderer {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly templates: MailTemplates,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * The message as it will be delivered, with its real secret. Throws PermanentDeliveryError
   * when it must not be sent any more (revoked invitation, expired code, missing rows).
   */
  async renderForDelivery(message: OutboxMessage, secret: string | null): Promise<RenderedMessage> {
    if (TEMPLATES_WITH_SECRET.has(message.template) && !secret) {
      throw new PermanentDeliveryError('The one-time link or code of this message was erased; not sent');
    }
    return this.render(message, secret, 'deliver');
  }

  /** The message as an admin may see it: placeholders instead of the link token or code, whatever its state. */
  renderPreview(message: OutboxMessage): Promise<RenderedMessage> {
    const placeholder = message.template === 'security-code' ? PREVIEW_CODE : PREVIEW_TOKEN;
    return this.render(message, placeholder, 'preview');
  }

  private async render(message: OutboxMessage, secret: string | null, mode: Mode): Promise<RenderedMessage> {
    const template = message.template as MessageTemplate;
    if (!(template in TEMPLATE_PARTS)) throw new PermanentDeliveryError(`Unknown message template "${message.template}"; not sent`);
    const manager = this.uow.dataSource.manager;
    const data = await this.dataFor(template, message, secret ?? '', mode, manager);

    if (template === 'security-code') {
      if (message.channel !== 'sms' && message.channel !== 'voice') {
        throw new PermanentDeliveryError('Security codes are sent by text or voice only; not sent');
      }
      return { subject: null, text: this.templates.render(template, message.channel, data), html: null };
    }
    if (message.channel !== 'email') throw new PermanentDeliveryError(`The ${template} template is an email, not a ${message.channel} message; not sent`);
    const subject = this.templates.render(template, 'subject', data);
    const withSubject = { ...data, subject };
    return {
      subject,
      text: this.templates.render(template, 'text', withSubject),
      html: this.templates.render(template, 'html', withSubject),
    };
  }

  private async dataFor(template: MessageTemplate, message: OutboxMessage, secret: string, mode: Mode, manager: EntityManager): Promise<Record<string, unknown>> {
    const practiceId = message.practiceId;
    const subjectId = message.subjectId ?? '';
    switch (template) {
      case 'registration-email': {
        const invitation = await this.subjectRow(manager, RegistrationInvitation, subjectId, practiceId, 'invitation');
        if (mode === 'deliver') assertStillPending(invitation, 'Invitation');
        const common = await this.common(manager, practiceId, invitation.patientId);
        return {
          ...this.commonData(common),
          link: this.link('register', secret),
          expiresAt: formatDateTimeInZone(invitation.expiresAt, common.practice.timeZone),
        };
      }
      case 'password-reset-email': {
        const request = await this.subjectRow(manager, PasswordResetRequest, subjectId, practiceId, 'password reset request');
        if (mode === 'deliver') assertStillPending(request, 'Password reset link');
        const common = await this.common(manager, practiceId, request.patientId);
        return {
          ...this.commonData(common),
          link: this.link('reset-password', secret),
          validFor: describeDuration(request.expiresAt.getTime() - request.createdAt.getTime()),
          expiresAt: formatDateTimeInZone(request.expiresAt, common.practice.timeZone),
        };
      }
      case 'account-ready-email':
      case 'password-changed-email': {
        const account = await this.subjectRow(manager, PortalAccount, subjectId, practiceId, 'portal account');
        if (mode === 'deliver' && account.status === 'closed') throw new PermanentDeliveryError('Portal account was closed; not sent');
        const common = await this.common(manager, practiceId, account.patientId);
        return {
          ...this.commonData(common),
          username: account.username,
          loginUrl: `${this.config.publicUrl}/login`,
          changedAt: formatDateTimeInZone(message.createdAt, common.practice.timeZone),
        };
      }
      case 'username-reminder-email': {
        const common = await this.common(manager, practiceId, subjectId);
        if (!common.patient) throw new PermanentDeliveryError('The patient this message was about no longer exists; not sent');
        const accounts = await manager.find(PortalAccount, {
          where: { patientId: common.patient.id, practiceId, status: Not('closed') },
          order: { createdAt: 'ASC' },
        });
        const usernames = accounts.map((a) => a.username);
        return {
          ...this.commonData(common),
          usernames,
          hasAccounts: usernames.length > 0,
          severalAccounts: usernames.length > 1,
          loginUrl: `${this.config.publicUrl}/login`,
          forgotPasswordUrl: `${this.config.publicUrl}/forgot-password`,
        };
      }
      case 'security-code': {
        if (message.subjectType === 'registration_invitation') {
          const invitation = await this.subjectRow(manager, RegistrationInvitation, subjectId, practiceId, 'invitation');
          if (mode === 'deliver') assertStillPending(invitation, 'Invitation');
        } else if (message.subjectType === 'password_reset') {
          const request = await this.subjectRow(manager, PasswordResetRequest, subjectId, practiceId, 'password reset request');
          if (mode === 'deliver') assertStillPending(request, 'Password reset link');
        } else {
          throw new PermanentDeliveryError(`A security code cannot be about "${message.subjectType}"; not sent`);
        }
        // A code that sat in the queue past its lifetime would only make the patient fail a check.
        if (mode === 'deliver' && Date.now() - message.createdAt.getTime() > SECURITY_CODE_TTL_MINUTES * 60_000) {
          throw new PermanentDeliveryError('Security code expired before it could be sent; not sent');
        }
        const practice = await this.practice(manager, practiceId);
        return {
          practiceName: practice.name,
          code: secret,
          spokenCode: spacedDigits(secret),
          minutes: SECURITY_CODE_TTL_MINUTES,
        };
      }
    }
  }

  /** Only this origin and an URL-encoded token: the result is safe to insert raw into href. */
  private link(path: 'register' | 'reset-password', token: string): string {
    return `${this.config.publicUrl}/${path}/${encodeURIComponent(token)}`;
  }

  /** First name only: an email may be read by anyone with the inbox, so no other chart data. */
  private commonData({ practice, patient }: Common): Record<string, unknown> {
    return {
      firstName: patient?.firstName ?? 'there',
      practiceName: practice.name,
      practicePhone: formatPhoneForDisplay(practice.phone),
    };
  }

  private async common(manager: EntityManager, practiceId: string, patientId: string): Promise<Common> {
    const [practice, patient] = await Promise.all([
      this.practice(manager, practiceId),
      patientId ? manager.findOne(Patient, { where: { id: patientId, practiceId } }) : Promise.resolve(null),
    ]);
    return { practice, patient };
  }

  private async practice(manager: EntityManager, practiceId: string): Promise<Practice> {
    const practice = await manager.findOne(Practice, { where: { id: practiceId } });
    if (!practice) throw new PermanentDeliveryError('The practice of this message no longer exists; not sent');
    return practice;
  }

  private async subjectRow<E extends { id: string; practiceId: string }>(
    manager: EntityManager,
    entity: new () => E,
    id: string,
    practiceId: string,
    what: string,
  ): Promise<E> {
    const row = id ? await manager.findOne(entity, { where: { id, practiceId } as never }) : null;
    if (!row) throw new PermanentDeliveryError(`The ${what} this message belongs to no longer exists; not sent`);
    return row;
  }
}

function assertStillPending(row: { status: string; expiresAt: Date }, what: string): void {
  if (row.status !== 'pending') throw new PermanentDeliveryError(`${what} no longer pending; not sent`);
  if (row.expiresAt.getTime() <= Date.now()) throw new PermanentDeliveryError(`${what} expired before it could be sent; not sent`);
}
