import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { StaffMfaMethod } from '@resetdesk/contracts';
import { AppSecrets } from '../common/app-secrets';
import { DomainException } from '../common/domain.exception';
import { newLinkToken, safeEqualHex, sha256Hex } from '../common/secrets';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from '../staff/staff-user.entity';
import { StaffMfaChallenge } from './staff-mfa-challenge.entity';
import { StaffMfaRepository } from './staff-mfa.repository';

export const PENDING_COOKIE = 'rd_mfa';
/** Long enough to find the phone or the security key; short enough that a left-open screen dies. */
export const PENDING_TTL_MINUTES = 10;
export const PENDING_FAILURE_LIMIT = 5;

export interface PendingSignIn {
  token: string;
  csrfToken: string;
  methods: StaffMfaMethod[];
  enrolmentRequired: boolean;
}

/**
 * Sign-ins waiting for their second step. Whether one is due: the practice requires it, or the
 * person enrolled a factor (then it is always asked, whatever the practice says).
 */
@Injectable()
export class PendingSignIns {
  constructor(
    private readonly keys: AppSecrets,
    private readonly repository: StaffMfaRepository,
  ) {}

  csrfTokenFor(token: string): string {
    return this.keys.hmacHex('staff-mfa-csrf', token);
  }

  async methodsOf(staffUserId: string): Promise<StaffMfaMethod[]> {
    const factors = await this.repository.confirmedFactors(staffUserId);
    const methods: StaffMfaMethod[] = [];
    if (factors.some((f) => f.kind === 'totp')) methods.push('totp');
    if (factors.some((f) => f.kind === 'webauthn')) methods.push('webauthn');
    if (methods.length && (await this.repository.unusedRecoveryCodes(staffUserId)) > 0) methods.push('recovery_code');
    return methods;
  }

  /**
   * Starts the second step when one is due; null when the first step is enough. `mfaDone` is
   * a first step that already proved a second factor (an identity provider's `amr`).
   */
  async startIfDue(
    user: StaffUser,
    practice: Practice,
    method: 'password' | 'sso',
    ip: string,
    userAgent: string | null,
    mfaDone = false,
  ): Promise<PendingSignIn | null> {
    if (mfaDone) return null;
    const methods = await this.methodsOf(user.id);
    if (methods.length === 0 && practice.staffMfa !== 'required') return null;
    const token = newLinkToken();
    const now = new Date();
    await this.repository.insertChallenge({
      id: randomUUID(),
      tokenHash: sha256Hex(token),
      staffUserId: user.id,
      practiceId: user.practiceId,
      method,
      enrolmentRequired: methods.length === 0,
      failedAttempts: 0,
      webauthnChallenge: null,
      expiresAt: new Date(now.getTime() + PENDING_TTL_MINUTES * 60_000),
      endedAt: null,
      createdAt: now,
      ip,
      userAgent: userAgent?.slice(0, 255) ?? null,
    });
    return { token, csrfToken: this.csrfTokenFor(token), methods, enrolmentRequired: methods.length === 0 };
  }

  /** The live pending sign-in of this request (cookie plus CSRF header on writes), or a 401. */
  async fromRequest(request: Request): Promise<StaffMfaChallenge> {
    const token: string | undefined = request.cookies?.[PENDING_COOKIE];
    if (!token || token.length > 128) throw new DomainException('unauthenticated', 'Please sign in.');
    const presented = request.header('x-csrf-token');
    if (!presented || !/^[0-9a-f]{64}$/.test(presented) || !safeEqualHex(this.csrfTokenFor(token), presented)) {
      throw new DomainException('csrf', 'This request is missing a valid X-CSRF-Token header. Reload the page and try again.');
    }
    const challenge = await this.repository.challengeByTokenHash(sha256Hex(token));
    if (!challenge || challenge.endedAt || challenge.expiresAt.getTime() <= Date.now()) {
      throw new DomainException('unauthenticated', 'Your sign-in has expired. Sign in again.');
    }
    return challenge;
  }

  setCookies(request: Request, response: Response, pending: PendingSignIn): void {
    const base = { sameSite: 'strict' as const, secure: request.secure, path: '/' };
    response.cookie(PENDING_COOKIE, pending.token, { ...base, httpOnly: true, maxAge: PENDING_TTL_MINUTES * 60_000 });
    // The console sends this back as X-CSRF-Token, as it does for a session.
    response.cookie('rd_csrf', pending.csrfToken, { ...base, httpOnly: false });
  }

  clearCookie(request: Request, response: Response): void {
    response.clearCookie(PENDING_COOKIE, { sameSite: 'strict', secure: request.secure, path: '/', httpOnly: true });
  }
}
