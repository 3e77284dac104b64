import type { CookieOptions, Request, Response } from 'express';

export const SESSION_COOKIE = 'rd_session';
export const CSRF_COOKIE = 'rd_csrf';

function baseOptions(request: Request): CookieOptions {
  return { sameSite: 'strict', secure: request.secure, path: '/' };
}

export function setSessionCookies(request: Request, response: Response, token: string, csrfToken: string): void {
  response.cookie(SESSION_COOKIE, token, { ...baseOptions(request), httpOnly: true });
  // Readable on purpose: the console copies it into the X-CSRF-Token header.
  response.cookie(CSRF_COOKIE, csrfToken, { ...baseOptions(request), httpOnly: false });
}

export function clearSessionCookies(request: Request, response: Response): void {
  response.clearCookie(SESSION_COOKIE, { ...baseOptions(request), httpOnly: true });
  response.clearCookie(CSRF_COOKIE, baseOptions(request));
}
