/**
 * Services throw these, never HTTP exceptions; the global filter maps the code to a status.
 */
export type DomainErrorCode =
  | 'not_found'
  | 'conflict'
  | 'unprocessable'
  | 'validation'
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'csrf'
  | 'too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'unavailable'
  | 'integrity';

export class DomainException extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly fields?: Record<string, string>,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DomainException';
  }

  static notFound(what = 'record'): DomainException {
    return new DomainException('not_found', `That ${what} was not found.`);
  }

  static validation(fields: Record<string, string>, message?: string): DomainException {
    return new DomainException('validation', message ?? Object.values(fields)[0] ?? 'Some fields are not valid.', fields);
  }
}

export const DOMAIN_STATUS: Record<DomainErrorCode, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media_type: 415,
  validation: 422,
  unprocessable: 422,
  rate_limited: 429,
  integrity: 500,
  unavailable: 503,
};
