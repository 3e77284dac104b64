import { Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvitationSecrets } from '../invitations/invitation-secrets';

export const REGISTRATION_PROOF_COOKIE = 'rd_reg';
/** How long after step 1 the browser may finish step 2 without verifying again. */
export const PROOF_TTL_MS = 20 * 60_000;

interface Verified {
  id: string;
  verifiedAt: Date | null;
}

/**
 * The browser's proof that it passed step 1 for one invitation: `invitationId.expiry.HMAC`,
 * where the HMAC also covers the invitation's verifiedAt. Nothing secret is in the cookie, it
 * cannot be moved to another invitation, and verifying again (or an expired clock) voids it.
 */
@Injectable()
export class RegistrationProof {
  private readonly key: Buffer;

  constructor(secrets: InvitationSecrets) {
    this.key = secrets.keys.key('registration-proof');
  }

  grant(request: Request, response: Response, invitation: Verified): void {
    if (!invitation.verifiedAt) throw new Error('Only a verified invitation can be proven');
    const expires = Date.now() + PROOF_TTL_MS;
    const value = `${invitation.id}.${expires.toString(36)}.${this.sign(invitation.id, expires, invitation.verifiedAt)}`;
    response.cookie(REGISTRATION_PROOF_COOKIE, value, { ...cookieOptions(request), maxAge: PROOF_TTL_MS });
  }

  /** True when this browser verified this invitation, at its current verifiedAt, recently enough. */
  holds(request: Request, invitation: Verified): boolean {
    const raw = request.cookies?.[REGISTRATION_PROOF_COOKIE];
    if (typeof raw !== 'string' || !invitation.verifiedAt) return false;
    const [id, expiresRaw, signature, extra] = raw.split('.');
    if (!id || !expiresRaw || !signature || extra !== undefined || id !== invitation.id) return false;
    const expires = parseInt(expiresRaw, 36);
    if (!Number.isFinite(expires) || expires <= Date.now()) return false;
    const expected = Buffer.from(this.sign(id, expires, invitation.verifiedAt));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  clear(request: Request, response: Response): void {
    response.clearCookie(REGISTRATION_PROOF_COOKIE, cookieOptions(request));
  }

  private sign(invitationId: string, expires: number, verifiedAt: Date): string {
    return createHmac('sha256', this.key).update(`${invitationId}.${expires}.${new Date(verifiedAt).getTime()}`).digest('base64url');
  }
}

function cookieOptions(request: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', secure: request.secure, path: '/register' };
}
