import { Injectable } from '@nestjs/common';
import { SecurityNotices } from '../notifications/security-notices';
import { EntityManager, MoreThan } from 'typeorm';
import { AuditEvent } from '../audit/audit-event.entity';
import { SYSTEM_ACTOR } from '../audit/audit-events';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { RequestContext } from '../common/request-context';
import { UnitOfWork } from '../database/unit-of-work';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { withTimingFloor } from '../patient-pages/even-timing';
import { patientActor } from '../patient-pages/patient-actor';
import { Patient } from '../patients/patient.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { normaliseUsername } from '../portal-accounts/username';
import { PortalAccess } from '../oidc/portal-access.service';
import { PatientSessions } from './patient-sessions.service';
import { PortalAccountsRepository } from '../portal-accounts/portal-accounts.repository';
import { SignInThrottle } from './sign-in-throttle';

/** Consecutive wrong passwords before the account locks. */
export const MAX_FAILED_LOGINS = 5;
/** The first lock's length; each further lock within LOCK_STREAK_HOURS lasts twice the one before. */
export const FIRST_LOCK_MINUTES = 15;
export const LOCK_STREAK_HOURS = 24;

export const SIGN_IN_MESSAGES = {
  invalid: 'Invalid username or password',
  locked: "Your account is locked. Please contact your doctor's office.",
} as const;

/** The lock for failed sign-ins ends by itself: say when, and the two ways to end it sooner. */
export function temporaryLockMessage(lockedUntil: Date, now = new Date()): string {
  const minutes = Math.max(1, Math.ceil((lockedUntil.getTime() - now.getTime()) / 60_000));
  const wait = minutes < 120 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${Math.ceil(minutes / 60)} hours`;
  return `Your account is locked after too many failed sign-ins. Try again in ${wait}, reset your password with "Forgot your password?", or contact your doctor's office.`;
}

export type SignInOutcome =
  /** `token` is the /login session's cookie value; null when signing in to a portal app through OpenID. */
  | { kind: 'signed_in'; token: string | null; account: PortalAccount }
  | { kind: 'invalid' }
  /** Only ever answered to someone who gave the right password. */
  | { kind: 'locked'; lockedUntil: Date | null }
  /** Too many failures from this client address or against this username: nothing was checked. */
  | { kind: 'throttled'; retryAfterSeconds: number; message: string };

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
    private readonly throttle: SignInThrottle,
  ) {}

  /**
   * Every way a patient signs in goes through here: /login, and `via: 'oidc'`, the OpenID
   * interaction of a portal app (the same counting, lock and throttle, but no /login session, as
   * the provider keeps its own, and only accounts of the app's practice exist). The client
   * address defaults to the request's. Every answer takes at least the same floor as the
   * recovery forms', so an existing username with a wrong password (which writes a count and
   * audit events) cannot be told from an unknown one by timing.
   */
  signIn(
    usernameInput: string,
    password: string,
    options: { via?: 'login' | 'oidc'; practiceId?: string; clientAddress?: string | null } = {},
  ): Promise<SignInOutcome> {
    const clientAddress = options.clientAddress !== undefined ? options.clientAddress : (RequestContext.current()?.ip ?? null);
    return withTimingFloor(async () => {
      try {
        await this.throttle.assertAllowed(clientAddress, usernameInput);
      } catch (error) {
        if (error instanceof DomainException && error.code === 'rate_limited') {
          return { kind: 'throttled', retryAfterSeconds: error.retryAfterSeconds ?? 60, message: error.message };
        }
        throw error;
      }
      return this.checkPassword(usernameInput, password, options, clientAddress);
    });
  }

  private async checkPassword(
    usernameInput: string,
    password: string,
    options: { via?: 'login' | 'oidc'; practiceId?: string },
    clientAddress: string | null,
  ): Promise<SignInOutcome> {
    const username = usernameInput.trim();
    const found =
      username.length > 0 && username.length <= 64
        ? await this.uow.dataSource.manager.findOneBy(PortalAccount, { usernameNormalized: normaliseUsername(username) })
        : null;
    const account = found && found.status !== 'closed' && (!options.practiceId || found.practiceId === options.practiceId) ? found : null;
    // Hashing runs before the transaction (no row lock waits on argon2), and runs for unknown names too.
    const passwordOk = await this.hasher.verify(account?.passwordHash, password);
    if (!account) {
      if (username) await this.throttle.recordFailure(clientAddress, username);
      return { kind: 'invalid' };
    }

    return this.uow.run(async (manager): Promise<SignInOutcome> => {
      const current = await this.uow.forUpdate(manager.createQueryBuilder(PortalAccount, 'account').where('account.id = :id', { id: account.id })).getOne();
      // Closed or given a new password since the check above: that check proves nothing now.
      if (!current || current.status === 'closed' || current.passwordHash !== account.passwordHash) {
        await this.throttle.recordFailure(clientAddress, username, manager);
        return { kind: 'invalid' };
      }
      const patient = await manager.findOneByOrFail(Patient, { id: current.patientId, practiceId: current.practiceId });
      if (current.status === 'locked' && current.lockedUntil && current.lockedUntil.getTime() <= Date.now()) {
        await this.endExpiredLock(manager, current, patient);
      }
      if (!passwordOk) {
        await this.throttle.recordFailure(clientAddress, username, manager);
        return this.recordFailure(manager, current, patient);
      }
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
        return { kind: 'locked', lockedUntil: current.lockedUntil };
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
    const lockMinutes = locks ? await this.nextLockMinutes(manager, account, now) : 0;
    const lockedUntil = new Date(now.getTime() + lockMinutes * 60_000);
    if (counts) {
      await PortalAccountsRepository.on(manager).recordFailedSignIn(account.id, failedLoginCount, locks ? 'too_many_login_failures' : null, now, lockedUntil);
    }
    const actor = patientActor(patient);
    await this.audit.append(
      manager,
      account.practiceId,
      {
        action: 'portal.login_failed',
        patientId: patient.id,
        reason: 'wrong_password',
        details: {
          portalAccountId: account.id,
          username: account.username,
          failedLoginCount,
          lockReason: locks ? 'too_many_login_failures' : account.lockReason,
        },
      },
      actor,
    );
    if (locks) {
      const locked = await this.audit.append(
        manager,
        account.practiceId,
        {
          action: 'portal.locked',
          patientId: patient.id,
          reason: 'too_many_login_failures',
          details: { portalAccountId: account.id, username: account.username, lockedUntil: lockedUntil.toISOString(), lockMinutes },
        },
        actor,
      );
      await this.access.end(manager, account, 'lock', { actor });
      await this.notices.notify(manager, locked);
    }
    return { kind: 'invalid' };
  }

  /**
   * 15 minutes, doubled for each earlier lock of this account for failed sign-ins in the last
   * LOCK_STREAK_HOURS: a stranger who knows a username can keep the patient out only for a while,
   * while a real guessing attack slows down fast. The audit log is the record of those locks.
   */
  private async nextLockMinutes(manager: EntityManager, account: PortalAccount, now: Date): Promise<number> {
    const earlier = await manager.find(AuditEvent, {
      select: { details: true },
      where: {
        practiceId: account.practiceId,
        patientId: account.patientId,
        action: 'portal.locked',
        reason: 'too_many_login_failures',
        createdAt: MoreThan(new Date(now.getTime() - LOCK_STREAK_HOURS * 3_600_000)),
      },
    });
    const locksOfThisAccount = earlier.filter((event) => (JSON.parse(event.details) as { portalAccountId?: string }).portalAccountId === account.id).length;
    // Capped so the arithmetic stays sane; twelve locks in a day already means weeks.
    return FIRST_LOCK_MINUTES * 2 ** Math.min(locksOfThisAccount, 12);
  }

  /** A lock for failed sign-ins whose time is up: the account is active again, counting from zero. */
  private async endExpiredLock(manager: EntityManager, account: PortalAccount, patient: Patient): Promise<void> {
    const lockedUntil = account.lockedUntil!;
    const now = new Date();
    await PortalAccountsRepository.on(manager).endExpiredLock(account.id, now);
    await this.audit.append(
      manager,
      account.practiceId,
      {
        action: 'portal.unlocked',
        patientId: patient.id,
        reason: 'lock_expired',
        details: { portalAccountId: account.id, username: account.username, lockReason: account.lockReason, lockedUntil: lockedUntil.toISOString() },
      },
      SYSTEM_ACTOR,
    );
    Object.assign(account, { status: 'active', lockReason: null, lockedAt: null, lockedUntil: null, failedLoginCount: 0, updatedAt: now });
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
