import { Injectable } from '@nestjs/common';
import { PortalAccess } from '../oidc/portal-access.service';
import { SecurityNotices } from '../notifications/security-notices';
import { EntityManager } from 'typeorm';
import { AuditEventInput } from '../audit/audit-events';
import { AuditLogService } from '../audit/audit-log.service';
import { maskPhone } from '../common/masking';
import { UnitOfWork } from '../database/unit-of-work';
import { PasswordHasher, normaliseSecurityAnswer } from '../passwords/password-hasher.service';
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
import { PasswordResetRequest } from './password-reset-request.entity';
import { OpenResetLink, PasswordResetLinks, RECOVERY_LOCK_REASON, ResetLinkProblem } from './password-reset-links.service';
import { RECOVERY_SECURITY_CODE } from './recovery-messages';
import { PasswordResetRequestsRepository } from './password-reset-requests.repository';
import { PortalAccountsRepository } from '../portal-accounts/portal-accounts.repository';

export const RECOVERY_MESSAGES = {
  answerMismatch: 'Your answer does not match our records.',
} as const;

export type RecoveryMethod = 'security_question' | 'code';
type FailureReason = Extract<AuditEventInput, { action: 'password_reset.verify_failed' }>['reason'];

export type RecoveryVerifyOutcome = ResetLinkProblem | Rejected | { kind: 'method_unavailable' } | { kind: 'verified'; request: PasswordResetRequest };
export type RecoveryCodeOutcome = ResetLinkProblem | Rejected | CodePage | { kind: 'method_unavailable' } | { kind: 'no_code' };

/** Which ways this patient can prove who they are on a reset link. */
export function recoveryMethods(link: Pick<OpenResetLink, 'account' | 'patient' | 'practice'>): { question: string | null; code: boolean } {
  const { account, patient, practice } = link;
  const question = practice.allowSecurityQuestions && account.securityQuestion && account.securityAnswerHash ? account.securityQuestion : null;
  return { question, code: !!patient.phone };
}

/**
 * The second step of "forgot password": the patient, holding the emailed link, proves who they
 * are with their date of birth and security answer, or with a code sent to the chart's phone.
 * Every answer is judged with the link's rows locked, so parallel guesses cannot slip past the
 * limit; the fifth failure of any kind locks the link and the account.
 */
@Injectable()
export class RecoveryVerificationService {
  constructor(
    private readonly notices: SecurityNotices,
    private readonly uow: UnitOfWork,
    private readonly links: PasswordResetLinks,
    private readonly flow: CodeVerificationFlow,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditLogService,
    private readonly access: PortalAccess,
  ) {}

  async answerQuestion(link: OpenResetLink, answer: { dateOfBirth: string; securityAnswer: string }): Promise<RecoveryVerifyOutcome> {
    if (!recoveryMethods(link).question) return { kind: 'method_unavailable' };
    const errors = collect({
      dateOfBirth: dateOfBirthProblem(answer.dateOfBirth),
      securityAnswer: normaliseSecurityAnswer(answer.securityAnswer) ? null : 'Enter the answer to your security question.',
    });
    if (errors) return { kind: 'rejected', errors };
    const dateOfBirth = parseDateOfBirth(answer.dateOfBirth)!;
    // argon2 runs before the transaction so no row lock waits on it; the verdict counts only under the lock.
    const answerHash = link.account.securityAnswerHash;
    const answerOk = await this.hasher.verify(answerHash, normaliseSecurityAnswer(answer.securityAnswer));

    return this.uow.run(async (manager): Promise<RecoveryVerifyOutcome> => {
      const state = await this.links.lock(manager, link);
      if (state.kind !== 'open') return state;
      if (state.account.securityAnswerHash !== answerHash || !recoveryMethods(state).question) return { kind: 'method_unavailable' };
      if (dateOfBirth !== state.patient.dateOfBirth) {
        return this.recordFailure(manager, state, 'date_of_birth_mismatch', { dateOfBirth: MESSAGES.dateOfBirthMismatch });
      }
      if (!answerOk) return this.recordFailure(manager, state, 'security_answer_mismatch', { securityAnswer: RECOVERY_MESSAGES.answerMismatch });
      return this.markVerified(manager, state, 'security_question');
    });
  }

  /** The code path: the phone number typed must be the chart's; the code goes to the chart's number. */
  async sendCode(link: OpenResetLink, answer: { phone: string; channel: string }): Promise<RecoveryCodeOutcome> {
    if (!recoveryMethods(link).code) return { kind: 'method_unavailable' };
    const errors = collect({ phone: phoneProblem(answer.phone), channel: channelProblem(answer.channel) });
    if (errors) return { kind: 'rejected', errors };
    return this.flow.send(this.codeLink(link), answer.channel as CodeChannel, async (manager, state) =>
      phoneMatchesChart(state.patient, answer.phone) ? null : this.recordFailure(manager, state, 'phone_mismatch', { phone: MESSAGES.phoneMismatch }),
    );
  }

  resendCode(link: OpenResetLink): Promise<RecoveryCodeOutcome> {
    return this.flow.resend(this.codeLink(link));
  }

  checkCode(link: OpenResetLink, answer: { code: string }): Promise<RecoveryVerifyOutcome> {
    return this.flow.check(this.codeLink(link), answer.code);
  }

  /** This link's part in the code steps. */
  private codeLink(link: OpenResetLink): CodeLink<OpenResetLink, ResetLinkProblem, RecoveryVerifyOutcome> {
    return {
      lock: (manager) => this.links.lock(manager, link),
      subject: ({ request, patient }) => ({
        type: 'password_reset',
        message: RECOVERY_SECURITY_CODE,
        id: request.id,
        practiceId: request.practiceId,
        patientId: patient.id,
        phone: patient.phone ?? '',
      }),
      codeSent: async (manager, { request, patient }, page) => {
        await this.audit.append(
          manager,
          request.practiceId,
          {
            action: 'password_reset.code_sent',
            patientId: patient.id,
            details: { passwordResetId: request.id, channel: page.channel!, sentTo: maskPhone(patient.phone), outboxMessageId: page.outboxMessageId! },
          },
          patientActor(patient),
        );
      },
      failed: (manager, state, reason, errors) => this.recordFailure(manager, state, reason, errors),
      verified: (manager, state) => this.markVerified(manager, state, 'code'),
    };
  }

  /** Counts one failed answer; the fifth locks the link and the account, until the office unlocks it. */
  private async recordFailure(manager: EntityManager, link: OpenResetLink, reason: FailureReason, errors: FieldErrors): Promise<Rejected | ResetLinkProblem> {
    const { request, account, patient, practice } = link;
    const failedAttempts = request.failedAttempts + 1;
    const locks = failedAttempts >= MAX_FAILED_ATTEMPTS;
    const now = new Date();
    await PasswordResetRequestsRepository.on(manager).recordFailedAttempt(request.id, failedAttempts, locks);
    const actor = patientActor(patient);
    await this.audit.append(
      manager,
      request.practiceId,
      { action: 'password_reset.verify_failed', patientId: patient.id, reason, details: { passwordResetId: request.id, failedAttempts } },
      actor,
    );
    if (!locks) return { kind: 'rejected', errors };
    await PortalAccountsRepository.on(manager).lock(account.id, RECOVERY_LOCK_REASON, now);
    const locked = await this.audit.append(
      manager,
      request.practiceId,
      { action: 'portal.locked', patientId: patient.id, reason: RECOVERY_LOCK_REASON, details: { portalAccountId: account.id, username: account.username } },
      actor,
    );
    await this.access.end(manager, account, 'lock', { actor });
    await this.notices.notify(manager, locked);
    return { kind: 'locked', practice };
  }

  private async markVerified(manager: EntityManager, link: OpenResetLink, method: RecoveryMethod): Promise<RecoveryVerifyOutcome> {
    const { request, patient } = link;
    const verifiedAt = new Date();
    await PasswordResetRequestsRepository.on(manager).markVerified(request.id, verifiedAt);
    await this.audit.append(
      manager,
      request.practiceId,
      { action: 'password_reset.verified', patientId: patient.id, details: { passwordResetId: request.id, method } },
      patientActor(patient),
    );
    return { kind: 'verified', request: { ...request, verifiedAt } };
  }
}
