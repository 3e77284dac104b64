import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditActor } from '../audit/audit-events';
import { AuditLogService } from '../audit/audit-log.service';
import { maskPhone } from '../common/masking';
import { UnitOfWork } from '../database/unit-of-work';
import { AppSecrets } from '../common/app-secrets';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { patientActor } from '../patient-pages/patient-actor';
import {
  FieldErrors,
  MESSAGES,
  channelProblem,
  collect,
  dateOfBirthProblem,
  parseDateOfBirth,
  phoneMatchesChart,
  phoneProblem,
} from '../patient-pages/patient-form';
import { CodeLink, CodeVerificationFlow, Rejected } from '../patient-pages/code-verification-flow';
import { CodeChannel, CodePage, MAX_FAILED_ATTEMPTS } from '../patient-pages/security-codes';
import { pinProblem } from './registration-form';
import { LinkProblem, OpenLink, RegistrationLinks } from './registration-links.service';
import { REGISTRATION_SECURITY_CODE } from './registration-messages';
import { RegistrationInvitationsRepository } from '../invitations/registration-invitations.repository';

export interface PinAnswer {
  dateOfBirth: string;
  pin: string;
}

export interface PhoneAnswer {
  dateOfBirth: string;
  phone: string;
  channel: string;
}

export type VerifyOutcome = LinkProblem | Rejected | { kind: 'verified'; invitation: RegistrationInvitation };
export type SendCodeOutcome = LinkProblem | Rejected | CodePage | { kind: 'no_code' };

type FailureReason = 'date_of_birth_mismatch' | 'pin_mismatch' | 'phone_mismatch' | 'code_mismatch' | 'code_expired';

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
    private readonly secrets: AppSecrets,
    private readonly flow: CodeVerificationFlow,
    private readonly audit: AuditLogService,
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
  sendCode(link: OpenLink, answer: PhoneAnswer): Promise<SendCodeOutcome> {
    const errors = collect({
      dateOfBirth: dateOfBirthProblem(answer.dateOfBirth),
      phone: phoneProblem(answer.phone),
      channel: channelProblem(answer.channel),
    });
    if (errors) return Promise.resolve({ kind: 'rejected', errors });
    const dateOfBirth = parseDateOfBirth(answer.dateOfBirth)!;
    return this.flow.send(this.codeLink(link), answer.channel as CodeChannel, async (manager, state) => {
      if (dateOfBirth !== state.patient.dateOfBirth) {
        return this.recordFailure(manager, state, 'date_of_birth_mismatch', { dateOfBirth: MESSAGES.dateOfBirthMismatch });
      }
      if (!phoneMatchesChart(state.patient, answer.phone)) {
        return this.recordFailure(manager, state, 'phone_mismatch', { phone: MESSAGES.phoneMismatch });
      }
      return null;
    });
  }

  resendCode(link: OpenLink): Promise<SendCodeOutcome> {
    return this.flow.resend(this.codeLink(link));
  }

  checkCode(link: OpenLink, answer: { code: string }): Promise<VerifyOutcome> {
    return this.flow.check(this.codeLink(link), answer.code);
  }

  /** This link's part in the code steps. */
  private codeLink(link: OpenLink): CodeLink<OpenLink, LinkProblem, VerifyOutcome> {
    return {
      lock: (manager) => this.links.lock(manager, link.invitation.id),
      subject: ({ invitation, patient }) => ({
        type: 'registration_invitation',
        message: REGISTRATION_SECURITY_CODE,
        id: invitation.id,
        practiceId: invitation.practiceId,
        patientId: patient.id,
        phone: patient.phone ?? '',
      }),
      codeSent: async (manager, { invitation, patient }, page) => {
        await this.audit.append(
          manager,
          invitation.practiceId,
          {
            action: 'invitation.code_sent',
            patientId: patient.id,
            details: { invitationId: invitation.id, channel: page.channel!, sentTo: maskPhone(patient.phone), outboxMessageId: page.outboxMessageId! },
          },
          unverifiedVisitor(),
        );
      },
      failed: (manager, state, reason, errors) => this.recordFailure(manager, state, reason, errors),
      verified: (manager, state) => this.markVerified(manager, state, 'code'),
    };
  }

  /** Counts one failed answer; the fifth locks the link. */
  private async recordFailure(manager: EntityManager, link: OpenLink, reason: FailureReason, errors: FieldErrors): Promise<Rejected | LinkProblem> {
    const { invitation, patient, practice } = link;
    const failedAttempts = invitation.failedAttempts + 1;
    const locks = failedAttempts >= MAX_FAILED_ATTEMPTS;
    await RegistrationInvitationsRepository.on(manager).recordFailedAttempt(invitation.id, failedAttempts, locks, new Date());
    const details = { invitationId: invitation.id, failedAttempts };
    await this.audit.append(
      manager,
      invitation.practiceId,
      { action: 'invitation.verify_failed', patientId: patient.id, reason, details },
      unverifiedVisitor(),
    );
    if (!locks) return { kind: 'rejected', errors };
    await this.audit.append(manager, invitation.practiceId, { action: 'invitation.locked', patientId: patient.id, details }, unverifiedVisitor());
    return { kind: 'locked', practice };
  }

  private async markVerified(manager: EntityManager, link: OpenLink, method: 'pin' | 'code'): Promise<VerifyOutcome> {
    const { invitation, patient } = link;
    const verifiedAt = new Date();
    await RegistrationInvitationsRepository.on(manager).markVerified(invitation.id, verifiedAt, method);
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
