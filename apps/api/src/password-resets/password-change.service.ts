import { Injectable } from '@nestjs/common';
import { PortalAccess } from '../oidc/portal-access.service';
import { SecurityNotices } from '../notifications/security-notices';
import { IsNull, Not } from 'typeorm';
import { AuditLogService } from '../audit/audit-log.service';
import { UnitOfWork } from '../database/unit-of-work';
import { VerificationCode } from '../invitations/verification-code.entity';
import { OutboxService } from '../outbox/outbox.service';
import { PASSWORD_CHANGED_EMAIL } from './recovery-messages';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { passwordProblems } from '../passwords/password-policy';
import { PatientSessions } from '../patient-auth/patient-sessions.service';
import { patientActor } from '../patient-pages/patient-actor';
import { FieldErrors, newPasswordProblems } from '../patient-pages/patient-form';
import { OpenResetLink, PasswordResetLinks, ResetLinkProblem } from './password-reset-links.service';
import { RecoveryMethod } from './recovery-verification.service';
import { PasswordResetRequestsRepository } from './password-reset-requests.repository';
import { PortalAccountsRepository } from '../portal-accounts/portal-accounts.repository';

export type PasswordChangeOutcome = ResetLinkProblem | { kind: 'not_verified' } | { kind: 'rejected'; errors: FieldErrors } | { kind: 'changed' };

/**
 * The last step of "forgot password": the verified patient picks a new password. In one
 * transaction the account gets it (and loses any lock), the link is spent, every portal session
 * of the account ends, and a "your password was changed" email is queued.
 */
@Injectable()
export class PasswordChangeService {
  constructor(
    private readonly notices: SecurityNotices,
    private readonly uow: UnitOfWork,
    private readonly links: PasswordResetLinks,
    private readonly hasher: PasswordHasher,
    private readonly sessions: PatientSessions,
    private readonly outbox: OutboxService,
    private readonly audit: AuditLogService,
    private readonly access: PortalAccess,
  ) {}

  async change(link: OpenResetLink, answer: { newPassword: string; confirmNewPassword: string }): Promise<PasswordChangeOutcome> {
    const { request, account, patient } = link;
    const context = {
      username: account.username,
      email: patient.email,
      firstName: patient.firstName,
      lastName: patient.lastName,
      dateOfBirth: patient.dateOfBirth,
    };
    const weaknesses = answer.newPassword ? passwordProblems(answer.newPassword, context) : [];
    const errors = newPasswordProblems(answer.newPassword, answer.confirmNewPassword, weaknesses, {
      password: 'newPassword',
      confirmation: 'confirmNewPassword',
    });
    if (errors) return { kind: 'rejected', errors };

    // argon2 is deliberately slow: hash before the transaction so no row lock waits on it.
    const passwordHash = await this.hasher.hash(answer.newPassword);
    const expectedVerifiedAt = request.verifiedAt ? new Date(request.verifiedAt).getTime() : null;

    const outcome = await this.uow.run(async (manager): Promise<PasswordChangeOutcome> => {
      const state = await this.links.lock(manager, link);
      // A second submission of the same link waits on the first's lock, then finds it spent.
      if (state.kind !== 'open') return state;
      const verifiedAt = state.request.verifiedAt ? new Date(state.request.verifiedAt).getTime() : null;
      if (verifiedAt === null || verifiedAt !== expectedVerifiedAt) return { kind: 'not_verified' };

      const now = new Date();
      const current = state.account;
      await PortalAccountsRepository.on(manager).setPassword(current.id, passwordHash, now);
      await PasswordResetRequestsRepository.on(manager).markUsed(state.request.id, now);
      const revokedSessions = await this.sessions.endAll(manager, current.id);
      await this.access.end(manager, current, 'recovery', { actor: patientActor(state.patient), portalSessionsAlreadyEnded: revokedSessions });
      // The link went to the chart's email; should the chart have lost it since, there is nowhere to write.
      const message = state.patient.email
        ? await this.outbox.enqueue(manager, {
            practiceId: current.practiceId,
            patientId: state.patient.id,
            channel: 'email',
            kind: PASSWORD_CHANGED_EMAIL,
            toAddress: state.patient.email,
            subjectId: current.id,
          })
        : null;
      // A code that worked is spent; if none of this link's is, the security question it was.
      const method: RecoveryMethod = (await manager.exists(VerificationCode, {
        where: { subjectType: 'password_reset', subjectId: state.request.id, usedAt: Not(IsNull()) },
      }))
        ? 'code'
        : 'security_question';
      const completed = await this.audit.append(
        manager,
        current.practiceId,
        {
          action: 'password_reset.completed',
          patientId: state.patient.id,
          details: {
            passwordResetId: state.request.id,
            portalAccountId: current.id,
            username: current.username,
            method,
            revokedSessions,
            clearedLockReason: current.status === 'locked' ? current.lockReason : null,
            outboxMessageId: message?.id ?? null,
          },
        },
        patientActor(state.patient),
      );
      // "Your password was changed" goes by email above; the phone hears of it by text.
      await this.notices.notify(manager, completed, { phone: state.patient.phone });
      return { kind: 'changed' };
    });
    if (outcome.kind === 'changed') this.outbox.notifyCommitted();
    return outcome;
  }
}
