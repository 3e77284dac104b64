import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import type { StaffMfaStatusView, TotpEnrolmentView } from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { IssuedSession, StaffAuthService } from '../auth/staff-auth.service';
import { AppSecrets } from '../common/app-secrets';
import { DomainException } from '../common/domain.exception';
import { iso } from '../common/masking';
import { RequestContext } from '../common/request-context';
import { TenantScope } from '../common/tenant-scope';
import { UnitOfWork } from '../database/unit-of-work';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from '../staff/staff-user.entity';
import { PENDING_FAILURE_LIMIT } from './pending-sign-ins';
import { StaffMfaChallenge } from './staff-mfa-challenge.entity';
import { StaffMfaRepository } from './staff-mfa.repository';
import { acceptedTotpStep, newTotpSecret, qrSvg, totpUri } from './totp';

export const RECOVERY_CODE_COUNT = 10;
const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const WRONG_CODE = 'That code is not right. Check the code and try again.';
const TOO_MANY = 'Too many wrong codes. Sign in again with your email and password.';

/** Who is acting on their own second factors: a signed-in user, or a sign-in waiting for them. */
export interface MfaActor {
  user: StaffUser;
  practice: Practice;
  /** Set while the sign-in is pending (enrolment required before the first session). */
  challenge: StaffMfaChallenge | null;
  ip: string;
  userAgent: string | null;
}

/** 10 characters from an unambiguous alphabet (about 49 bits), shown as xxxxx-xxxxx. */
function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = Array.from(bytes, (b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

function normaliseRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

const staffActor = (user: StaffUser) => ({ type: 'staff' as const, id: user.id, name: user.name });

/**
 * TOTP enrolment and the second step of a sign-in (TOTP and recovery codes; passkeys live in
 * PasskeyService). Wrong codes count against the pending sign-in (five end it) and against the
 * same throttle as passwords.
 */
@Injectable()
export class StaffMfaService {
  constructor(
    private readonly keys: AppSecrets,
    private readonly repository: StaffMfaRepository,
    private readonly auth: StaffAuthService,
    private readonly audit: AuditLogService,
    private readonly uow: UnitOfWork,
    private readonly tenant: TenantScope,
  ) {}

  private sealSecret(secret: string): string {
    return this.keys.seal('staff-totp-secret', secret);
  }

  private unsealSecret(sealed: string): string {
    return this.keys.unseal('staff-totp-secret', sealed);
  }

  private recoveryHash(code: string): string {
    return this.keys.hmacHex('staff-recovery-code', normaliseRecoveryCode(code));
  }

  /** While a sign-in is pending, enrolment is open only to someone who has no factor yet. */
  private assertMayEnrol(actor: MfaActor): void {
    if (actor.challenge && !actor.challenge.enrolmentRequired) {
      throw new DomainException('forbidden', 'Finish signing in with your existing second factor first.');
    }
  }

  async enrolTotp(actor: MfaActor): Promise<TotpEnrolmentView> {
    this.assertMayEnrol(actor);
    const secret = newTotpSecret();
    const now = new Date();
    await this.uow.run((manager) =>
      this.repository.replaceUnconfirmedTotp(
        {
          id: randomUUID(),
          staffUserId: actor.user.id,
          practiceId: actor.user.practiceId,
          kind: 'totp',
          name: 'Authenticator app',
          sealedSecret: this.sealSecret(secret),
          lastUsedStep: null,
          credentialId: null,
          publicKey: null,
          signCount: null,
          transports: null,
          confirmedAt: null,
          lastUsedAt: null,
          createdAt: now,
        },
        manager,
      ),
    );
    const otpauthUrl = totpUri(secret, actor.user.email, `ResetDesk (${actor.practice.name})`);
    return { otpauthUrl, qrSvg: await qrSvg(otpauthUrl), secret };
  }

  /**
   * The first code proves the app holds the secret. Then the factor counts, fresh recovery
   * codes are issued (shown this once), and a sign-in that was waiting for enrolment completes.
   */
  async confirmTotp(actor: MfaActor, code: string): Promise<{ recoveryCodes: string[]; session: IssuedSession | null }> {
    this.assertMayEnrol(actor);
    const factor = await this.repository.unconfirmedTotp(actor.user.id);
    if (!factor?.sealedSecret) throw new DomainException('conflict', 'Start the set-up again: there is no authenticator app waiting to be confirmed.');
    const step = await acceptedTotpStep(this.unsealSecret(factor.sealedSecret), code.trim(), null);
    if (step === null) {
      if (actor.challenge) await this.secondStepFailed(actor);
      throw DomainException.validation({ code: WRONG_CODE });
    }
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    const enrol = async (manager: EntityManager) => {
      const now = new Date();
      await this.repository.confirmTotp(factor.id, actor.user.id, step, now, manager);
      await this.repository.replaceRecoveryCodes(
        actor.user.id,
        recoveryCodes.map((c) => this.recoveryHash(c)),
        now,
        manager,
      );
      await this.audit.append(
        manager,
        actor.user.practiceId,
        { action: 'staff.mfa_enrolled', details: { staffUserId: actor.user.id, factor: 'totp' } },
        staffActor(actor.user),
      );
    };
    if (!actor.challenge) {
      await this.uow.run(enrol);
      return { recoveryCodes, session: null };
    }
    const session = await this.completeSignIn(actor, 'totp', enrol);
    return { recoveryCodes, session };
  }

  async signInWithTotp(actor: MfaActor & { challenge: StaffMfaChallenge }, code: string): Promise<IssuedSession> {
    await this.assertLiveAndNotThrottled(actor);
    const factor = (await this.repository.confirmedFactors(actor.user.id)).find((f) => f.kind === 'totp');
    const step = factor?.sealedSecret ? await acceptedTotpStep(this.unsealSecret(factor.sealedSecret), code.trim(), factor.lastUsedStep) : null;
    if (!factor || step === null) return this.secondStepFailed(actor);
    let claimed = false;
    const session = await this.completeSignIn(actor, 'totp', async (manager) => {
      claimed = await this.repository.claimTotpStep(factor.id, step, new Date(), manager);
      if (!claimed) throw new DomainException('unauthenticated', WRONG_CODE);
    }).catch(async (error) => {
      // Lost a race with the same code: a replay, counted like any wrong code.
      if (!claimed && error instanceof DomainException && error.message === WRONG_CODE) return this.secondStepFailed(actor);
      throw error;
    });
    return session;
  }

  async signInWithRecoveryCode(actor: MfaActor & { challenge: StaffMfaChallenge }, code: string): Promise<IssuedSession> {
    await this.assertLiveAndNotThrottled(actor);
    const codeHash = this.recoveryHash(code);
    let spent = false;
    return this.completeSignIn(actor, 'recovery_code', async (manager) => {
      spent = await this.repository.spendRecoveryCode(actor.user.id, codeHash, new Date(), manager);
      if (!spent) throw new DomainException('unauthenticated', WRONG_CODE);
      const remaining = await this.repository.unusedRecoveryCodes(actor.user.id, manager);
      await this.audit.append(
        manager,
        actor.user.practiceId,
        { action: 'staff.mfa_recovery_code_used', details: { staffUserId: actor.user.id, remaining } },
        staffActor(actor.user),
      );
    }).catch(async (error) => {
      if (!spent && error instanceof DomainException && error.message === WRONG_CODE) return this.secondStepFailed(actor);
      throw error;
    });
  }

  /** Ends the pending sign-in and opens the session, in one transaction with what completed it. */
  async completeSignIn(
    actor: MfaActor,
    secondFactor: 'totp' | 'webauthn' | 'recovery_code',
    inTransaction: (manager: EntityManager) => Promise<void>,
  ): Promise<IssuedSession> {
    const challenge = actor.challenge!;
    return this.auth.issueSession(
      actor.user,
      actor.practice,
      { ip: actor.ip, userAgent: actor.userAgent, accountKey: this.auth.accountKeyFor(actor.user.email), details: { method: challenge.method, secondFactor } },
      async (manager) => {
        if (!(await this.repository.endChallenge(challenge.id, new Date(), manager))) {
          throw new DomainException('unauthenticated', 'Your sign-in has expired. Sign in again.');
        }
        await inTransaction(manager);
      },
    );
  }

  async cancel(actor: MfaActor): Promise<void> {
    if (actor.challenge) await this.uow.run((manager) => this.repository.endChallenge(actor.challenge!.id, new Date(), manager));
  }

  async assertLiveAndNotThrottled(actor: MfaActor): Promise<void> {
    await this.auth.assertNotThrottled(this.auth.accountKeyFor(actor.user.email), actor.ip);
  }

  /** A wrong second-step answer: counted for throttling and against the pending sign-in. */
  async secondStepFailed(actor: MfaActor, why: 'mfa_too_many_failures' | 'passkey_rejected' = 'mfa_too_many_failures', message = WRONG_CODE): Promise<never> {
    const challenge = actor.challenge!;
    const failures = await this.uow.run(async (manager) => {
      await this.auth.recordFailedAttempt(manager, this.auth.accountKeyFor(actor.user.email), actor.ip);
      const count = await this.repository.addChallengeFailure(challenge.id, manager);
      if (count >= PENDING_FAILURE_LIMIT) {
        await this.repository.endChallenge(challenge.id, new Date(), manager);
        await this.audit.append(
          manager,
          actor.user.practiceId,
          { action: 'staff.login_failed', details: { email: actor.user.email, why } },
          staffActor(actor.user),
        );
      }
      return count;
    });
    if (failures >= PENDING_FAILURE_LIMIT) throw new DomainException('unauthenticated', TOO_MANY);
    throw new DomainException('unauthenticated', message);
  }

  async status(user: StaffUser, practice: Practice): Promise<StaffMfaStatusView> {
    const factors = await this.repository.confirmedFactors(user.id);
    return {
      totp: factors.some((f) => f.kind === 'totp'),
      passkeys: factors
        .filter((f) => f.kind === 'webauthn')
        .map((f) => ({ id: f.id, name: f.name, createdAt: new Date(f.createdAt).toISOString(), lastUsedAt: iso(f.lastUsedAt) })),
      recoveryCodesLeft: factors.length ? await this.repository.unusedRecoveryCodes(user.id) : 0,
      practiceRequires: practice.staffMfa === 'required',
    };
  }

  /** New recovery codes replace every old one (used or not); only for someone with a factor. */
  async regenerateRecoveryCodes(user: StaffUser): Promise<string[]> {
    if ((await this.repository.confirmedFactors(user.id)).length === 0) {
      throw new DomainException('conflict', 'Set up two-step sign-in first.');
    }
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.uow.run((manager) =>
      this.repository.replaceRecoveryCodes(
        user.id,
        recoveryCodes.map((c) => this.recoveryHash(c)),
        new Date(),
        manager,
      ),
    );
    return recoveryCodes;
  }

  /** Issues recovery codes for someone whose first factor is a passkey (they have none yet). */
  async recoveryCodesIfNone(user: StaffUser, manager: EntityManager): Promise<string[] | null> {
    if ((await this.repository.unusedRecoveryCodes(user.id, manager)) > 0) return null;
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.repository.replaceRecoveryCodes(
      user.id,
      recoveryCodes.map((c) => this.recoveryHash(c)),
      new Date(),
      manager,
    );
    return recoveryCodes;
  }

  /**
   * An admin's reset of another staff member's two-step sign-in: every factor and recovery code
   * goes, and so do that person's sessions and pending sign-ins (whoever holds their phone or
   * password is out at once). Never one's own: that would let a stolen admin session drop the
   * admin's own second factor.
   */
  async resetFor(staffUserId: string): Promise<void> {
    const admin = RequestContext.staff();
    const target = await this.tenant.findOrFail(StaffUser, staffUserId, 'staff member');
    if (target.id === admin.id) {
      throw new DomainException('forbidden', 'You cannot reset your own two-step sign-in. Ask another practice admin to do it.');
    }
    await this.uow.run(async (manager) => {
      const { factors, sessions } = await this.repository.resetAll(target.id, new Date(), manager);
      await this.audit.append(manager, target.practiceId, {
        action: 'staff.mfa_reset',
        details: { staffUserId: target.id, email: target.email, factorsRemoved: factors, sessionsEnded: sessions },
      });
    });
  }
}
