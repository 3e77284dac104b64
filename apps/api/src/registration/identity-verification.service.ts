import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager, IsNull } from 'typeorm';
import type { MessageChannel } from '@resetdesk/contracts';
import { AuditActor } from '../audit/audit-events';
import { AuditLogService } from '../audit/audit-log.service';
import { maskPhone } from '../common/masking';
import { UnitOfWork } from '../database/unit-of-work';
import { InvitationSecrets } from '../invitations/invitation-secrets';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { VerificationCode } from '../invitations/verification-code.entity';
import { OutboxService } from '../outbox/outbox.service';
import { Patient } from '../patients/patient.entity';
import { MESSAGES, codeProblem, dateOfBirthProblem, parseDateOfBirth, phoneDigits, phoneProblem, pinProblem } from './registration-form';
import { LinkProblem, OpenLink, RegistrationLinks } from './registration-links.service';

/** Failed answers of any kind (date of birth, PIN, phone, code) before the link locks. */
export const MAX_FAILED_ATTEMPTS = 5;
export const CODE_TTL_MS = 10 * 60_000;
export const CODE_RESEND_INTERVAL_MS = 60_000;
export const MAX_CODES_PER_INVITATION = 5;

export type FieldErrors = Record<string, string>;
export type CodeChannel = Extract<MessageChannel, 'sms' | 'voice'>;

export interface PinAnswer {
  dateOfBirth: string;
  pin: string;
}

export interface PhoneAnswer {
  dateOfBirth: string;
  phone: string;
  channel: string;
}

type Rejected = { kind: 'rejected'; errors: FieldErrors };
export type VerifyOutcome = LinkProblem | Rejected | { kind: 'verified'; invitation: RegistrationInvitation };

/** What the security-code page shows: whether a code just went out, or why not. */
export interface CodePage {
  kind: 'code_page';
  channel: CodeChannel | null;
  sent: boolean;
  notice: string | null;
}

export type SendCodeOutcome = LinkProblem | Rejected | CodePage | { kind: 'no_code' };

type FailureReason = 'date_of_birth_mismatch' | 'pin_mismatch' | 'phone_mismatch' | 'code_mismatch' | 'code_expired';

const CODE_SUBJECT = 'registration_invitation' as const;

/**
 * Step 1 of registration: the patient proves who they are with their date of birth and either
 * the PIN the office gave them or a code sent to the chart's phone. Every comparison happens
 * with the invitation row locked, so parallel guesses cannot slip past the failure limit.
 */
@Injectable()
export class IdentityVerificationService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly links: RegistrationLinks,
    private readonly secrets: InvitationSecrets,
    private readonly audit: AuditLogService,
    private readonly outbox: OutboxService,
  ) {}

  async verifyWithPin(link: OpenLink, answer: PinAnswer): Promise<VerifyOutcome> {
    const errors = collect({ dateOfBirth: dateOfBirthProblem(answer.dateOfBirth), pin: pinProblem(answer.pin) });
    if (errors) return { kind: 'rejected', errors };
    const dateOfBirth = parseDateOfBirth(answer.dateOfBirth)!;
    const pin = answer.pin.trim();

    return this.uow.run(async (manager) => {
      const state = await this.links.lock(manager, link.invitation.id);
      if (state.kind !== 'open') return state;
      if (dateOfBirth !== state.patient.dateOfBirth) {
        return this.recordFailure(manager, state, 'date_of_birth_mismatch', { dateOfBirth: MESSAGES.dateOfBirthMismatch });
      }
      if (!this.secrets.pinMatches(state.invitation.pinHash, pin)) {
        return this.recordFailure(manager, state, 'pin_mismatch', { pin: MESSAGES.secretMismatch });
      }
      return this.markVerified(manager, state, 'pin');
    });
  }

  /** The phone path: date of birth and the chart's phone number must both match before a code goes out. */
  async sendCode(link: OpenLink, answer: PhoneAnswer): Promise<SendCodeOutcome> {
    const errors = collect({
      dateOfBirth: dateOfBirthProblem(answer.dateOfBirth),
      phone: phoneProblem(answer.phone),
      channel: answer.channel === 'sms' || answer.channel === 'voice' ? null : 'Choose Text or Voice.',
    });
    if (errors) return { kind: 'rejected', errors };
    const dateOfBirth = parseDateOfBirth(answer.dateOfBirth)!;
    const channel = answer.channel as CodeChannel;

    const outcome = await this.uow.run(async (manager): Promise<SendCodeOutcome> => {
      const state = await this.links.lock(manager, link.invitation.id);
      if (state.kind !== 'open') return state;
      if (dateOfBirth !== state.patient.dateOfBirth) {
        return this.recordFailure(manager, state, 'date_of_birth_mismatch', { dateOfBirth: MESSAGES.dateOfBirthMismatch });
      }
      const chartDigits = phoneDigits(state.patient.phoneDigits ?? state.patient.phone);
      if (!state.patient.phone || !chartDigits || phoneDigits(answer.phone) !== chartDigits) {
        return this.recordFailure(manager, state, 'phone_mismatch', { phone: MESSAGES.phoneMismatch });
      }
      return this.issueCode(manager, state, channel);
    });
    if (outcome.kind === 'code_page' && outcome.sent) this.outbox.notifyCommitted();
    return outcome;
  }

  /** "Request the code again": the same channel as the last code, to the chart's phone, throttled. */
  async resendCode(link: OpenLink): Promise<SendCodeOutcome> {
    const outcome = await this.uow.run(async (manager): Promise<SendCodeOutcome> => {
      const state = await this.links.lock(manager, link.invitation.id);
      if (state.kind !== 'open') return state;
      const [latest] = await this.codesOf(manager, state.invitation.id);
      // Only a browser that passed the date-of-birth and phone checks has a code to repeat.
      if (!latest || !state.patient.phone) return { kind: 'no_code' };
      return this.issueCode(manager, state, latest.channel as CodeChannel);
    });
    if (outcome.kind === 'code_page' && outcome.sent) this.outbox.notifyCommitted();
    return outcome;
  }

  async checkCode(link: OpenLink, answer: { code: string }): Promise<VerifyOutcome> {
    const errors = collect({ code: codeProblem(answer.code) });
    if (errors) return { kind: 'rejected', errors };
    const code = answer.code.trim();

    return this.uow.run(async (manager) => {
      const state = await this.links.lock(manager, link.invitation.id);
      if (state.kind !== 'open') return state;
      const unused = (await this.codesOf(manager, state.invitation.id)).filter((c) => !c.usedAt);
      // Any unused code of this link counts: a resent text can arrive before the first one.
      const match = unused.find((c) => this.secrets.codeMatches(c.codeHash, code));
      if (!match) return this.recordFailure(manager, state, 'code_mismatch', { code: MESSAGES.secretMismatch });
      if (new Date(match.expiresAt).getTime() <= Date.now()) {
        return this.recordFailure(manager, state, 'code_expired', { code: MESSAGES.secretMismatch });
      }
      // Codes are single use; once one works, none of this link's other codes may be tried.
      await manager.update(VerificationCode, { subjectType: CODE_SUBJECT, subjectId: state.invitation.id, usedAt: IsNull() }, { usedAt: new Date() });
      return this.markVerified(manager, state, 'code');
    });
  }

  /** Newest first. */
  private codesOf(manager: EntityManager, invitationId: string): Promise<VerificationCode[]> {
    return manager.find(VerificationCode, { where: { subjectType: CODE_SUBJECT, subjectId: invitationId }, order: { createdAt: 'DESC' } });
  }

  private async issueCode(manager: EntityManager, link: OpenLink, channel: CodeChannel): Promise<CodePage> {
    const { invitation, patient } = link;
    const codes = await this.codesOf(manager, invitation.id);
    const lastChannel = (codes[0]?.channel as CodeChannel | undefined) ?? null;
    if (codes.length >= MAX_CODES_PER_INVITATION) {
      return {
        kind: 'code_page',
        channel: lastChannel,
        sent: false,
        notice: "You have asked for as many codes as this link allows. Use the latest code we sent, or call your doctor's office.",
      };
    }
    const waitMs = codes[0] ? new Date(codes[0].createdAt).getTime() + CODE_RESEND_INTERVAL_MS - Date.now() : 0;
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return {
        kind: 'code_page',
        channel: lastChannel,
        sent: false,
        notice: `We sent a code less than a minute ago. You can ask for a new code in ${seconds} second${seconds === 1 ? '' : 's'}.`,
      };
    }

    const now = new Date();
    const { code, codeHash } = this.secrets.newCode();
    await manager.insert(VerificationCode, {
      id: randomUUID(),
      practiceId: invitation.practiceId,
      subjectType: CODE_SUBJECT,
      subjectId: invitation.id,
      codeHash,
      channel,
      expiresAt: new Date(now.getTime() + CODE_TTL_MS),
      usedAt: null,
      createdAt: now,
    });
    const message = await this.outbox.enqueue(manager, {
      practiceId: invitation.practiceId,
      patientId: patient.id,
      channel,
      template: 'security-code',
      // Always the chart's number, never the one typed: a match proves knowledge, not possession.
      toAddress: patient.phone!,
      subjectType: CODE_SUBJECT,
      subjectId: invitation.id,
      sealedSecret: this.secrets.sealForOutbox(code),
    });
    await this.audit.append(
      manager,
      invitation.practiceId,
      {
        action: 'invitation.code_sent',
        patientId: patient.id,
        details: { invitationId: invitation.id, channel, sentTo: maskPhone(patient.phone), outboxMessageId: message.id },
      },
      unverifiedVisitor(),
    );
    return { kind: 'code_page', channel, sent: true, notice: null };
  }

  /** Counts one failed answer; the fifth locks the link. */
  private async recordFailure(manager: EntityManager, link: OpenLink, reason: FailureReason, errors: FieldErrors): Promise<Rejected | LinkProblem> {
    const { invitation, patient, practice } = link;
    const failedAttempts = invitation.failedAttempts + 1;
    const locks = failedAttempts >= MAX_FAILED_ATTEMPTS;
    await manager.update(
      RegistrationInvitation,
      { id: invitation.id },
      locks ? { failedAttempts, status: 'locked', pendingMarker: null, lockedAt: new Date() } : { failedAttempts },
    );
    const details = { invitationId: invitation.id, failedAttempts };
    await this.audit.append(manager, invitation.practiceId, { action: 'invitation.verify_failed', patientId: patient.id, reason, details }, unverifiedVisitor());
    if (!locks) return { kind: 'rejected', errors };
    await this.audit.append(manager, invitation.practiceId, { action: 'invitation.locked', patientId: patient.id, details }, unverifiedVisitor());
    return { kind: 'locked', practice };
  }

  private async markVerified(manager: EntityManager, link: OpenLink, method: 'pin' | 'code'): Promise<VerifyOutcome> {
    const { invitation, patient } = link;
    const verifiedAt = new Date();
    await manager.update(RegistrationInvitation, { id: invitation.id }, { verifiedAt, verifiedBy: method });
    await this.audit.append(
      manager,
      invitation.practiceId,
      { action: 'invitation.verified', patientId: patient.id, details: { invitationId: invitation.id, method } },
      patientActor(patient),
    );
    return { kind: 'verified', invitation: { ...invitation, verifiedAt, verifiedBy: method } };
  }
}

/** Whoever holds the link before they have proven to be the patient. */
function unverifiedVisitor(): AuditActor {
  return { type: 'patient', id: null, name: 'Unverified visitor (registration link)' };
}

export function patientActor(patient: Patient): AuditActor {
  return { type: 'patient', id: patient.id, name: `${patient.firstName} ${patient.lastName}` };
}

/** The non-null problems, or null when there are none. */
export function collect(problems: Record<string, string | null>): FieldErrors | null {
  const errors = Object.fromEntries(Object.entries(problems).filter((entry): entry is [string, string] => entry[1] !== null));
  return Object.keys(errors).length ? errors : null;
}
