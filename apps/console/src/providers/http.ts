import { fetchUtils, HttpError } from 'react-admin';
import type { ApiErrorBody } from '@resetdesk/contracts';

/** Base URL of the JSON API (same origin; the Vite dev server proxies it). */
export const API_URL = '/api';

export const CSRF_COOKIE = 'rd_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

export const SESSION_EXPIRED_MESSAGE = 'Your session has expired. Please sign in again.';
export const NETWORK_ERROR_MESSAGE = 'ResetDesk could not reach the server. Check the network connection and try again.';

/** Reads a cookie that JavaScript may see (rd_csrf is readable on purpose; rd_session is not). */
export function readCookie(name: string): string | null {
  for (const part of document.cookie ? document.cookie.split(';') : []) {
    const index = part.indexOf('=');
    const key = (index < 0 ? part : part.slice(0, index)).trim();
    if (key === name) {
      const value = index < 0 ? '' : part.slice(index + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return null;
}

const isSafeMethod = (method: string) => method === 'GET' || method === 'HEAD';

/** Adds the CSRF header to a non-GET request (the API answers 403 without it). */
export function withCsrf(headers: Headers, method: string): Headers {
  if (!isSafeMethod(method.toUpperCase())) {
    const token = readCookie(CSRF_COOKIE);
    if (token) headers.set(CSRF_HEADER, token);
  }
  return headers;
}

function fallbackMessage(status: number): string {
  if (status === 401) return SESSION_EXPIRED_MESSAGE;
  if (status === 403) return 'You do not have permission to do this.';
  if (status === 404) return 'Not found. It may have been removed or belong to another practice.';
  if (status === 429) return 'Too many attempts. Please wait a moment and try again.';
  if (status >= 500) return 'Sorry, something went wrong on the server. Please try again.';
  return `The request failed (HTTP ${status}).`;
}

/**
 * Turns the API's one error shape `{statusCode, error, message, errors?}` into the
 * `HttpError(message, status, {errors})` that react-admin understands:
 * - `message` is what notifications show;
 * - `body.errors` (422 only) maps field name to message; react-admin puts them on the form
 *   fields. `errors.root.serverError` carries the API message so the "form is invalid"
 *   notification shows it too.
 */
export function toApiError(error: unknown): unknown {
  if (error instanceof HttpError) {
    const body = (error.body ?? {}) as Partial<ApiErrorBody> & { message?: unknown };
    let message =
      typeof body.message === 'string' && body.message
        ? body.message
        : Array.isArray(body.message) && body.message.length
          ? body.message.join(' ')
          : fallbackMessage(error.status);
    if (body.requestId && !message.includes(body.requestId)) {
      message = `${message} (reference ${body.requestId})`;
    }
    const fieldErrors =
      body.errors && typeof body.errors === 'object' && Object.keys(body.errors).length > 0 ? { ...body.errors, root: { serverError: message } } : undefined;
    return new HttpError(message, error.status, fieldErrors ? { errors: fieldErrors } : {});
  }
  if (error instanceof DOMException && error.name === 'AbortError') return error;
  if (error instanceof TypeError) return new Error(NETWORK_ERROR_MESSAGE);
  return error;
}

/**
 * The data provider's HTTP client: react-admin's fetchJson with the session cookie
 * (credentials: 'include'), the CSRF header on every non-GET request, and API errors
 * normalised by toApiError.
 */
export async function httpClient(url: string, options: fetchUtils.Options = {}) {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers = withCsrf(new Headers(options.headers ?? {}), method);
  if (!headers.has('Accept')) headers.set('Accept', 'application/json');
  try {
    return await fetchUtils.fetchJson(url, { ...options, method, headers, credentials: 'include' });
  } catch (error) {
    throw toApiError(error);
  }
}

/** Builds an HttpError from a non-JSON-client fetch Response (used for file downloads, auth). */
export async function errorFromResponse(response: Response): Promise<unknown> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const message = body && typeof (body as ApiErrorBody).message === 'string' ? (body as ApiErrorBody).message : response.statusText;
  return toApiError(new HttpError(message, response.status, body));
}

/** RFC 4122 v4 UUID; crypto.randomUUID needs a secure context, so fall back to getRandomValues. */
export function newUuid(): string {
  if (typeof crypto.randomUUID === 'function' && window.isSecureContext) {
    return crypto.randomUUID();
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The HTTP status of an error thrown by the data provider, if it has one. */
export const errorStatus = (error: unknown): number | undefined => (error instanceof HttpError ? error.status : undefined);

/** A message for a notification, from whatever was thrown. */
export const errorMessage = (error: unknown): string => (error instanceof Error && error.message ? error.message : 'Something went wrong. Please try again.');
