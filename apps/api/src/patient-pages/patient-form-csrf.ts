import { Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppSecrets } from '../common/app-secrets';

export const PATIENT_CSRF_COOKIE = 'rd_pcsrf';
export const PATIENT_CSRF_FIELD = '_csrf';
/**
 * The cookie's name over https. Browsers accept a `__Host-` cookie only with Secure, Path=/ and no
 * Domain, so a sibling subdomain cannot plant one whose signed form field it already holds.
 */
export const SECURE_PATIENT_CSRF_COOKIE = `__Host-${PATIENT_CSRF_COOKIE}`;

/** A form older than this answers "This form has expired": long enough to fetch a PIN from a drawer. */
const FORM_MAX_AGE_MS = 4 * 60 * 60_000;
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;

/**
 * CSRF for the patient pages, which have no staff session to hang a token on. Signed double
 * submit: the browser holds a random value in an HttpOnly, SameSite=Strict cookie, and every
 * form carries `issuedAt.HMAC(cookie, issuedAt)` keyed from APP_SECRET. Another site can neither
 * read the cookie nor compute the signature, and SameSite=Strict keeps the cookie off its posts.
 */
@Injectable()
export class PatientFormCsrf {
  private readonly key: Buffer;

  constructor(secrets: AppSecrets) {
    this.key = secrets.key('patient-form-csrf');
  }

  /** The hidden-field value for this browser; gives it a cookie first when it has none. */
  fieldFor(request: Request, response: Response): string {
    const name = cookieName(request);
    let cookie = request.cookies?.[name];
    if (typeof cookie !== 'string' || !COOKIE_VALUE.test(cookie)) {
      cookie = randomBytes(32).toString('base64url');
      response.cookie(name, cookie, cookieOptions(request));
      // Later renders in this same response must sign the value just set, not the stale one.
      (request.cookies ??= {})[name] = cookie;
    }
    const issuedAt = Date.now().toString(36);
    return `${issuedAt}.${this.sign(cookie, issuedAt)}`;
  }

  accepts(request: Request): boolean {
    const cookie = request.cookies?.[cookieName(request)];
    const field = (request.body as Record<string, unknown> | undefined)?.[PATIENT_CSRF_FIELD];
    if (typeof cookie !== 'string' || !COOKIE_VALUE.test(cookie) || typeof field !== 'string') return false;
    const [issuedAt, signature, extra] = field.split('.');
    if (!issuedAt || !signature || extra !== undefined) return false;
    const issuedMs = parseInt(issuedAt, 36);
    const age = Date.now() - issuedMs;
    if (!Number.isFinite(issuedMs) || age < -60_000 || age > FORM_MAX_AGE_MS) return false;
    const expected = Buffer.from(this.sign(cookie, issuedAt));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  private sign(cookie: string, issuedAt: string): string {
    return createHmac('sha256', this.key).update(`${cookie}.${issuedAt}`).digest('base64url');
  }
}

function cookieName(request: Request): string {
  return request.secure ? SECURE_PATIENT_CSRF_COOKIE : PATIENT_CSRF_COOKIE;
}

function cookieOptions(request: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', secure: request.secure, path: '/' };
}
