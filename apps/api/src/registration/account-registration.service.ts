import { Injectable } from '@nestjs/common';
import { SecurityNotices } from '../notifications/security-notices';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { UnitOfWork } from '../database/unit-of-work';
import { OutboxService } from '../outbox/outbox.service';
import { ACCOUNT_READY_EMAIL } from './registration-messages';
import { PasswordHasher, normaliseSecurityAnswer } from '../passwords/password-hasher.service';
import { passwordProblems } from '../passwords/password-policy';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { PortalAccountsService, USERNAME_TAKEN } from '../portal-accounts/portal-accounts.service';
import { isSecurityQuestion } from '../portal-accounts/security-questions';
import { usernameProblem } from '../portal-accounts/username';
import { patientActor } from '../patient-pages/patient-actor';
import { FieldErrors, collect, newPasswordProblems } from '../patient-pages/patient-form';
import { LinkProblem, OpenLink, RegistrationLinks } from './registration-links.service';
import { RegistrationInvitationsRepository } from '../invitations/registration-invitations.repository';

export interface AccountAnswer {
  username: string;
  password: string;
  confirmPassword: string;
  securityQuestion: string;
  securityAnswer: string;
}

export type AccountOutcome =
  LinkProblem | { kind: 'not_verified' } | { kind: 'rejected'; errors: FieldErrors; message?: string } | { kind: 'created'; account: PortalAccount };

/**
 * Step 2 of registration: the verified patient picks a username and password. The account, the
 * spent invitation, the "account ready" email and the audit event are one transaction.
 */
@Injectable()
export class AccountRegistrationService {
  constructor(
    private readonly notices: SecurityNotices,
    private readonly uow: UnitOfWork,
    private readonly links: RegistrationLinks,
    private readonly accounts: PortalAccountsService,
    private readonly hasher: PasswordHasher,
    private readonly outbox: OutboxService,
    private readonly audit: AuditLogService,
  ) {}

  async register(link: OpenLink, answer: AccountAnswer): Promise<AccountOutcome> {
    const { invitation, patient, practice } = link;
    const username = answer.username.trim();
    const askQuestion = practice.allowSecurityQuestions;

    const usernameIssue = usernameProblem(username);
    const context = { username, email: patient.email, firstName: patient.firstName, lastName: patient.lastName, dateOfBirth: patient.dateOfBirth };
    const weaknesses = answer.password ? passwordProblems(answer.password, context) : [];
    const errors = collect({
      username: usernameIssue ?? ((await this.accounts.isUsernameTaken(username)) ? USERNAME_TAKEN : null),
      ...newPasswordProblems(answer.password, answer.confirmPassword, weaknesses, { password: 'password', confirmation: 'confirmPassword' }),
      securityQuestion: askQuestion && !isSecurityQuestion(answer.securityQuestion) ? 'Choose a security question.' : null,
      securityAnswer: askQuestion && normaliseSecurityAnswer(answer.securityAnswer).length < 2 ? 'Enter an answer to your security question.' : null,
    });
    if (errors) return { kind: 'rejected', errors };

    // argon2 is deliberately slow: hash before the transaction so no row lock waits on it.
    const [passwordHash, securityAnswerHash] = await Promise.all([
      this.hasher.hash(answer.password),
      askQuestion ? this.hasher.hash(normaliseSecurityAnswer(answer.securityAnswer)) : Promise.resolve(null),
    ]);
    const expectedVerifiedAt = invitation.verifiedAt ? new Date(invitation.verifiedAt).getTime() : null;

    try {
      // The unit of work runs a deadlock victim again (losers of a unique-key race can deadlock
      // each other on MySQL); the next run sees the winner's row.
      const outcome = await this.uow.run(async (manager): Promise<AccountOutcome> => {
        const state = await this.links.lock(manager, invitation.id);
        if (state.kind !== 'open') return state;
        const verifiedAt = state.invitation.verifiedAt ? new Date(state.invitation.verifiedAt).getTime() : null;
        if (verifiedAt === null || verifiedAt !== expectedVerifiedAt) return { kind: 'not_verified' };

        const account = await this.accounts.createActive(manager, {
          practiceId: invitation.practiceId,
          patientId: patient.id,
          username,
          passwordHash,
          securityQuestion: askQuestion ? answer.securityQuestion : null,
          securityAnswerHash,
        });
        const now = new Date();
        await RegistrationInvitationsRepository.on(manager).markUsed(invitation.id, account.id, now);
        await this.outbox.enqueue(manager, {
          practiceId: invitation.practiceId,
          patientId: patient.id,
          channel: 'email',
          kind: ACCOUNT_READY_EMAIL,
          toAddress: patient.email ?? state.invitation.sentTo,
          subjectId: account.id,
        });
        const registered = await this.audit.append(
          manager,
          invitation.practiceId,
          {
            action: 'portal.registered',
            patientId: patient.id,
            details: {
              portalAccountId: account.id,
              username: account.username,
              invitationId: invitation.id,
              verifiedBy: state.invitation.verifiedBy ?? 'unknown',
            },
          },
          patientActor(patient),
        );
        // The "account ready" email above is the email notice; the phone hears of it by text.
        await this.notices.notify(manager, registered, { phone: patient.phone });
        return { kind: 'created', account };
      });
      if (outcome.kind === 'created') this.outbox.notifyCommitted();
      return outcome;
    } catch (error) {
      if (error instanceof DomainException && error.code === 'conflict') {
        return { kind: 'rejected', errors: error.fields ?? {}, message: error.fields ? undefined : `${error.message} Sign in, or call your doctor's office.` };
      }
      throw error;
    }
  }
}
