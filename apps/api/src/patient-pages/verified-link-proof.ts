import type { CookieOptions, Request, Response } from 'express';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppSecrets, type SecretPurpose } from '../common/app-secrets';

/** How long after verifying the browser may finish the next step without verifying again. */
export const PROOF_TTL_MS = 20 * 60_000;

export interface VerifiedLink {
  id: string;
  verifiedAt: Date | null;
}

export interface ProofCookie {
  /** Key-derivation purpose: a proof for one kind of link is worthless for another. */
  purpose: SecretPurpose;
  cookie: string;
  /** The cookie goes only to this part of the site. */
  path: string;
}

/**
 * The browser's proof that it passed a link's verification step: `linkId.expiry.HMAC`, where
 * the HMAC also covers the link's verifiedAt. Nothing secret is in the cookie, it cannot be
 * moved to another link, and verifying again (or an expired clock) voids it.
 */
export abstract class VerifiedLinkProof {
  private readonly key: Buffer;

  protected constructor(
    secrets: AppSecrets,
    private readonly proof: ProofCookie,
  ) {
    this.key = secrets.key(proof.purpose);
  }

  grant(request: Request, response: Response, link: VerifiedLink): void {
    if (!link.verifiedAt) throw new Error('Only a verified link can be proven');
    const expires = Date.now() + PROOF_TTL_MS;
    const value = `${link.id}.${expires.toString(36)}.${this.sign(link.id, expires, link.verifiedAt)}`;
    response.cookie(this.proof.cookie, value, { ...this.cookieOptions(request), maxAge: PROOF_TTL_MS });
  }

  /** True when this browser verified this link, at its current verifiedAt, recently enough. */
  holds(request: Request, link: VerifiedLink): boolean {
    const raw = request.cookies?.[this.proof.cookie];
    if (typeof raw !== 'string' || !link.verifiedAt) return false;
    const [id, expiresRaw, signature, extra] = raw.split('.');
    if (!id || !expiresRaw || !signature || extra !== undefined || id !== link.id) return false;
    const expires = parseInt(expiresRaw, 36);
    if (!Number.isFinite(expires) || expires <= Date.now()) return false;
    const expected = Buffer.from(this.sign(id, expires, link.verifiedAt));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  clear(request: Request, response: Response): void {
    response.clearCookie(this.proof.cookie, this.cookieOptions(request));
  }

  private sign(linkId: string, expires: number, verifiedAt: Date): string {
    return createHmac('sha256', this.key)
      .update(`${linkId}.${expires}.${new Date(verifiedAt).getTime()}`)
      .digest('base64url');
  }

  private cookieOptions(request: Request): CookieOptions {
    return { httpOnly: true, sameSite: 'strict', secure: request.secure, path: this.proof.path };
  }
}
