import type { NextFunction, Request, Response } from 'express';

/**
 * cookie-parser turns a value spelt `j:{...}` into an object (its JSON-cookie convention). No
 * cookie of ours is JSON: such a value is something a client made up, so it is dropped, and every
 * reader of `request.cookies` sees strings or nothing.
 */
export function onlyStringCookies(request: Request, _response: Response, next: NextFunction): void {
  const cookies = request.cookies as Record<string, unknown> | undefined;
  if (cookies) {
    for (const name of Object.keys(cookies)) {
      const value = cookies[name];
      if (typeof value !== 'string' || value.startsWith('j:')) delete cookies[name];
    }
  }
  next();
}
