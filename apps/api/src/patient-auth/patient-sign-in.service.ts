import { Injectable } from '@nestjs/common';
import { SecurityNotices } from '../notifications/security-notices';
import { EntityManager } from 'typeorm';
import { AuditLogService } from '../audit/audit-log.service';
import { UnitOfWork } from '../database/unit-of-work';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { patientActor } from '../patient-pages/patient-actor';
import { Patient } from '../patients/patient.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { normaliseUsername } from '../portal-accounts/username';
import { PortalAccess } from '../oidc/portal-access.service';
import { PatientSessions } from './patient-sessions.service';
import { PortalAccountsRepository } from '../portal-accounts/portal-accounts.repository';

/** Consecutive wrong passwords before the account locks. */
export const MAX_FAILED_LOGINS = 5;

export const SIGN_IN_MESSAGES = {
  invalid: 'Invalid username or password',
  locked: "Your account is locked. Please contact your doctor's office.",
} as const;

export type SignInOutcome =
  /** `token` is the /login session's cookie value; null when signing in to a portal app through OpenID. */
  | { kind: 'signed_in'; token: string | null; account: PortalAccount }
  | { kind: 'invalid' }
  /** Only ever answered to someone who gave the right password. */
  | { kind: 'locked' };

/**
 * Patient sign-in. Unknown usernames, closed accounts and wrong passwords all answer the same
 * words after the same argon2 work. The lock state is told only to someone who knows the
 * password, so a stranger cannot probe which accounts are locked.
 */
@Injectable()
export class PatientSignInService {
  constructor(
    private readonly notices: SecurityNotices,
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly sessions: PatientSessions,
    private readonly audit: AuditLogService,
    private readonly access: PortalAccess,
  ) {}

  /**
   * `via: 'oidc'` is the OpenID interaction of a portal app: the same counting and lock, but no
   * /login session (the provider keeps its own), and only accounts of the app's practice exist.
   */
  async signIn(usernameInput: string, password: string, options: { via?: 'login' | 'oidc'; practiceId?: string } = {}): Promise<SignInOutcome> {
    const username = usernameInput.trim();
    const found =
      username.length > 0 && username.length <= 64
        ? await this.uow.dataSource.manager.findOneBy(PortalAccount, { usernameNormalized: normaliseUsername(username) })
        : null;
    const account = found && found.status !== 'closed' && (!options.practiceId || found.practiceId === options.practiceId) ? found : null;
    // Hashing runs before the transaction (no row lock waits on argon2), and runs for unknown names too.
    const passwordOk = await this.hasher.verify(account?.passwordHash, password);
    if (!account) return { kind: 'invalid' };

    return this.uow.run(async (manager): Promise<SignInOutcome> => {
      const current = await this.uow
        .forUpdate(manager.createQueryBuilder(PortalAccount, 'account').where('account.id = :id', { id: account.id }))
        .getOne();
      // Closed or given a new password since the check above: that check proves nothing now.
      if (!current || current.status === 'closed' || current.passwordHash !== account.passwordHash) return { kind: 'invalid' };
      const patient = await manager.findOneByOrFail(Patient, { id: current.patientId, practiceId: current.practiceId });
      if (!passwordOk) return this.recordFailure(manager, current, patient);
      if (current.status === 'locked') {
        await this.audit.append(
          manager,
          current.practiceId,
          {
            action: 'portal.login_failed',
            patientId: patient.id,
            reason: 'account_locked',
            details: { portalAccountId: current.id, username: current.username, failedLoginCount: current.failedLoginCount, lockReason: current.lockReason },
          },
          patientActor(patient),
        );
        return { kind: 'locked' };
      }

      const now = new Date();
      const started = options.via === 'oidc' ? null : await this.sessions.start(manager, current);
      await PortalAccountsRepository.on(manager).recordSignIn(current.id, now);
      await this.audit.append(
        manager,
        current.practiceId,
        {
          action: 'portal.login',
          patientId: patient.id,
          details: { portalAccountId: current.id, username: current.username, portalSessionId: started?.session.id ?? null, via: options.via ?? 'login' },
        },
        patientActor(patient),
      );
      const token = started?.token ?? null;
      return { kind: 'signed_in', token, account: { ...current, failedLoginCount: 0, lastLoginAt: now } };
    });
  }

  /** A wrong password: counted while the account is active; the fifth in a row locks it. */
  private async recordFailure(manager: EntityManager, account: PortalAccount, patient: Patient): Promise<SignInOutcome> {
    const counts = account.status === 'active';
    const failedLoginCount = counts ? account.failedLoginCount + 1 : account.failedLoginCount;
    const locks = counts && failedLoginCount >= MAX_FAILED_LOGINS;
    const now = new Date();
    if (counts) {
      await PortalAccountsRepository.on(manager).recordFailedSignIn(account.id, failedLoginCount, locks ? 'too_many_login_failures' : null, now);
    }
    const actor = patientActor(patient);
    await this.audit.append(
      manager,
      account.practiceId,
      {
        action: 'portal.login_failed',
        patientId: patient.id,
        reason: 'wrong_password',
        details: { portalAccountId: account.id, username: account.username, failedLoginCount, lockReason: locks ? 'too_many_login_failures' : account.lockReason },
      },
      actor,
    );
    if (locks) {
      const locked = await this.audit.append(
        manager,
        account.practiceId,
        { action: 'portal.locked', patientId: patient.id, reason: 'too_many_login_failures', details: { portalAccountId: account.id, username: account.username } },
        actor,
      );
      await this.access.end(manager, account, 'lock', { actor });
      await this.notices.notify(manager, locked);
    }
    return { kind: 'invalid' };
  }

  async signOut(signedIn: { sessionId: string; account: PortalAccount }): Promise<void> {
    const { account, sessionId } = signedIn;
    await this.uow.run(async (manager) => {
      await this.sessions.end(manager, sessionId);
      const patient = await manager.findOneByOrFail(Patient, { id: account.patientId, practiceId: account.practiceId });
      await this.audit.append(
        manager,
        account.practiceId,
        { action: 'portal.logout', patientId: patient.id, details: { portalAccountId: account.id, portalSessionId: sessionId } },
        patientActor(patient),
      );
    });
  }
}
