import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, MoreThan, Repository } from 'typeorm';
import { AuditEvent } from '../audit/audit-event.entity';
import { AuditLogService } from '../audit/audit-log.service';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DomainException } from '../common/domain.exception';
import { StaffPrincipal } from '../common/request-context';
import { AppSecrets } from '../common/app-secrets';
import { newLinkToken, safeEqualHex, sha256Hex } from '../common/secrets';
import { UnitOfWork } from '../database/unit-of-work';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from '../staff/staff-user.entity';
import { PendingSignIn, PendingSignIns } from '../staff-identity/pending-sign-ins';
import type { StaffLoginDetails } from '../audit/audit-events';
import { StaffUsersRepository } from '../staff/staff-users.repository';
import { LoginAttempt } from './login-attempt.entity';
import { StaffSession } from './staff-session.entity';
import { StaffSessionsRepository } from './staff-sessions.repository';

export const ACCOUNT_FAILURE_LIMIT = 5;
export const IP_FAILURE_LIMIT = 30;
export const THROTTLE_WINDOW_MINUTES = 15;
const INVALID_LOGIN = 'Invalid email or password';
/** Writing lastSeenAt on every request would turn reads into writes; once a minute is plenty. */
const TOUCH_INTERVAL_MS = 60_000;

export type LoginOutcome = { session: IssuedSession; pending?: undefined } | { pending: PendingSignIn; session?: undefined };

export interface IssuedSession {
  token: string;
  csrfToken: string;
  principal: StaffPrincipal;
}

@Injectable()
export class StaffAuthService {
  private readonly logger = new Logger(StaffAuthService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(StaffUser) private readonly staffUsers: Repository<StaffUser>,
    @InjectRepository(LoginAttempt) private readonly attempts: Repository<LoginAttempt>,
    @InjectRepository(Practice) private readonly practices: Repository<Practice>,
    private readonly hasher: PasswordHasher,
    private readonly audit: AuditLogService,
    private readonly uow: UnitOfWork,
    private readonly keys: AppSecrets,
    private readonly pendingSignIns: PendingSignIns,
  ) {}

  csrfTokenFor(sessionToken: string): string {
    return this.keys.hmacHex('csrf', sessionToken);
  }

  csrfMatches(sessionToken: string, presented: string | undefined): boolean {
    return !!presented && /^[0-9a-f]{64}$/.test(presented) && safeEqualHex(this.csrfTokenFor(sessionToken), presented);
  }

  /** The keyed hash throttling counts sign-in failures under (passwords and second steps alike). */
  accountKeyFor(email: string): string {
    return this.keys.hmacHex('login-account', email.trim().toLowerCase());
  }

  /**
   * The password step. When the practice or the person calls for a second factor, the answer is
   * a pending sign-in that opens nothing but the second step; otherwise a session.
   */
  async login(emailInput: string, password: string, ip: string, userAgent: string | null): Promise<LoginOutcome> {
    const email = emailInput.trim().toLowerCase();
    const accountKey = this.accountKeyFor(email);
    try {
      await this.assertNotThrottled(accountKey, ip);
    } catch (error) {
      // Recorded off the request's path, so a 429 takes the same time whether or not the address
      // is a staff account's.
      this.auditThrottled(email).catch((auditError: Error) =>
        this.logger.error({ err: { name: auditError.name, message: auditError.message } }, 'could not audit a throttled sign-in'),
      );
      throw error;
    }

    const user = await this.staffUsers.findOneBy({ email });
    const passwordOk = await this.hasher.verify(user?.passwordHash, password);
    if (!user || !passwordOk || !user.active) {
      await this.uow.run(async (manager) => {
        await this.recordFailedAttempt(manager, accountKey, ip);
        if (user) {
          await this.audit.append(
            manager,
            user.practiceId,
            { action: 'staff.login_failed', details: { email, why: passwordOk ? 'inactive' : 'unknown_or_wrong_password' } },
            { type: 'staff', id: user.id, name: user.name },
          );
        }
      });
      throw new DomainException('unauthenticated', INVALID_LOGIN);
    }

    const practice = await this.practices.findOneByOrFail({ id: user.practiceId });
    // A right password is not yet a success for throttling: only a completed sign-in clears the
    // failure count, so wrong second-step codes keep counting across password retries.
    const pending = await this.pendingSignIns.startIfDue(user, practice, 'password', ip, userAgent);
    if (pending) return { pending };
    return { session: await this.issueSession(user, practice, { ip, userAgent, accountKey, details: { method: 'password' } }) };
  }

  async recordFailedAttempt(manager: EntityManager, accountKey: string, ip: string): Promise<void> {
    await manager.insert(LoginAttempt, { id: randomUUID(), accountKey, ip, succeeded: false, createdAt: new Date() });
  }

  /**
   * Opens a session for a user who passed every step the sign-in needed. `alsoInTransaction`
   * writes what completed the sign-in (a spent recovery code, say) in the same transaction.
   */
  async issueSession(
    user: StaffUser,
    practice: Practice,
    context: { ip: string; userAgent: string | null; accountKey: string | null; details: StaffLoginDetails },
    alsoInTransaction?: (manager: EntityManager) => Promise<void>,
  ): Promise<IssuedSession> {
    const { ip, userAgent, accountKey } = context;
    const token = newLinkToken();
    const now = new Date();
    const session: StaffSession = {
      id: randomUUID(),
      tokenHash: sha256Hex(token),
      staffUserId: user.id,
      practiceId: user.practiceId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.config.session.absoluteHours * 3600_000),
      revokedAt: null,
      ip,
      userAgent: userAgent?.slice(0, 255) ?? null,
    };
    await this.uow.run(async (manager) => {
      if (alsoInTransaction) await alsoInTransaction(manager);
      await StaffSessionsRepository.on(manager).insert(session);
      if (accountKey) await manager.insert(LoginAttempt, { id: randomUUID(), accountKey, ip, succeeded: true, createdAt: now });
      await StaffUsersRepository.on(manager).recordSignIn(user.id, now);
      await this.audit.append(manager, user.practiceId, { action: 'staff.login', details: context.details }, { type: 'staff', id: user.id, name: user.name });
    });
    return { token, csrfToken: this.csrfTokenFor(token), principal: toPrincipal(user, practice, session.id) };
  }

  /**
   * A throttled sign-in to a real account is audited once per throttled stretch, not once per
   * attempt: admins see the attack, and an attacker cannot flood the log.
   */
  private async auditThrottled(email: string): Promise<void> {
    const user = await this.staffUsers.findOneBy({ email });
    if (!user) return;
    const since = new Date(Date.now() - THROTTLE_WINDOW_MINUTES * 60_000);
    await this.uow.run(async (manager) => {
      // Serialises concurrent throttled attempts on the account, so only one of them writes.
      await this.uow.forUpdate(manager.createQueryBuilder(StaffUser, 'u').where('u.id = :id', { id: user.id })).getOne();
      const recorded = await manager
        .createQueryBuilder(AuditEvent, 'e')
        .where('e.practiceId = :practiceId AND e.action = :action AND e.createdAt > :since AND e.actorId = :actorId', {
          practiceId: user.practiceId,
          action: 'staff.login_failed',
          since,
          actorId: user.id,
        })
        .andWhere('e.details LIKE :throttled', { throttled: '%"why":"throttled"%' })
        .getExists();
      if (recorded) return;
      await this.audit.append(
        manager,
        user.practiceId,
        { action: 'staff.login_failed', details: { email, why: 'throttled' } },
        { type: 'staff', id: user.id, name: user.name },
      );
    });
  }

  /**
   * Lifts an account's sign-in lock by recording a success marker: throttling counts failures
   * only since the last success, so earlier failures stop counting. Answers false when the
   * account was not locked, so the admin learns nothing changed.
   */
  async unlockAccount(manager: EntityManager, email: string): Promise<boolean> {
    const accountKey = this.accountKeyFor(email);
    const windowStart = new Date(Date.now() - THROTTLE_WINDOW_MINUTES * 60_000);
    const lastSuccess = await manager.findOne(LoginAttempt, {
      where: { accountKey, succeeded: true, createdAt: MoreThan(windowStart) },
      order: { createdAt: 'DESC' },
    });
    const since = lastSuccess ? lastSuccess.createdAt : windowStart;
    const failures = await manager.count(LoginAttempt, { where: { accountKey, succeeded: false, createdAt: MoreThan(since) } });
    if (failures < ACCOUNT_FAILURE_LIMIT) return false;
    await manager.insert(LoginAttempt, { id: randomUUID(), accountKey, ip: 'admin-unlock', succeeded: true, createdAt: new Date() });
    return true;
  }

  async assertNotThrottled(accountKey: string, ip: string): Promise<void> {
    const windowStart = new Date(Date.now() - THROTTLE_WINDOW_MINUTES * 60_000);
    const lastSuccess = await this.attempts.findOne({
      where: { accountKey, succeeded: true, createdAt: MoreThan(windowStart) },
      order: { createdAt: 'DESC' },
    });
    const since = lastSuccess ? lastSuccess.createdAt : windowStart;
    const [accountFailures, ipFailures] = await Promise.all([
      this.attempts.count({ where: { accountKey, succeeded: false, createdAt: MoreThan(since) } }),
      this.attempts.count({ where: { ip, succeeded: false, createdAt: MoreThan(windowStart) } }),
    ]);
    if (accountFailures >= ACCOUNT_FAILURE_LIMIT || ipFailures >= IP_FAILURE_LIMIT) {
      throw new DomainException(
        'rate_limited',
        `Too many failed sign-in attempts. Wait ${THROTTLE_WINDOW_MINUTES} minutes and try again, or ask your practice admin to reset your password.`,
        undefined,
        THROTTLE_WINDOW_MINUTES * 60,
      );
    }
  }

  /** Resolves a cookie token to the signed-in staff user, or null when it is not a live session. */
  async authenticate(token: string | undefined): Promise<{ principal: StaffPrincipal } | { expired: true } | null> {
    if (!token || token.length > 128) return null;
    // One round trip per request: the session with its user and practice.
    const sessions = StaffSessionsRepository.on(this.uow.dataSource.manager);
    const row = await sessions.findLive(sha256Hex(token));
    if (!row || !isTrue(row.active)) return null;
    const now = Date.now();
    const lastSeenAt = toDate(row.lastSeenAt).getTime();
    if (toDate(row.expiresAt).getTime() <= now || lastSeenAt + this.config.session.idleMinutes * 60_000 <= now) return { expired: true };
    if (now - lastSeenAt > TOUCH_INTERVAL_MS) {
      await sessions.touch(row.sessionId, new Date(now));
    }
    return {
      principal: {
        id: row.id,
        email: row.email,
        name: row.name,
        role: row.role,
        practiceId: row.practiceId,
        practiceName: row.practiceName,
        sessionId: row.sessionId,
      },
    };
  }

  async logout(principal: StaffPrincipal): Promise<void> {
    await this.uow.run(async (manager) => {
      await StaffSessionsRepository.on(manager).end(principal.sessionId, new Date());
      await this.audit.append(manager, principal.practiceId, { action: 'staff.logout' });
    });
  }
}

function toPrincipal(user: StaffUser, practice: Practice, sessionId: string): StaffPrincipal {
  return { id: user.id, email: user.email, name: user.name, role: user.role, practiceId: user.practiceId, practiceName: practice.name, sessionId };
}

const isTrue = (value: boolean | number | string) => value === true || value === 1 || value === '1';

/** Raw rows give MySQL Dates and SQLite 'YYYY-MM-DD HH:MM:SS.SSS' UTC strings. */
function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value.includes('T') ? value : value.replace(' ', 'T') + 'Z');
}
