import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import type { ApiErrorBody } from '@resetdesk/contracts';
import { DOMAIN_STATUS, DomainException } from './domain.exception';
import { RequestContext } from './request-context';

export const UNAVAILABLE_MESSAGE = 'Sorry, it looks like our system is temporarily unavailable';

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_ACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
]);

/** True for errors that mean "the database cannot be reached", as opposed to a bad query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const candidate = current as { code?: string; message?: string; driverError?: unknown; cause?: unknown; name?: string };
    if (candidate.code && CONNECTION_ERROR_CODES.has(candidate.code)) return true;
    if (
      typeof candidate.message === 'string' &&
      /(Connection lost|connection is in closed state|Pool is closed|connect ECONNREFUSED|Connection terminated|read ECONNRESET)/i.test(candidate.message)
    ) {
      return true;
    }
    current = candidate.driverError ?? candidate.cause;
  }
  return false;
}

/**
 * The one error body of the API. Clients (react-admin, the patient pages, tests) rely on
 * `{statusCode, error, message, code, errors?}`; nothing else, and never a stack trace, leaves here.
 */
@Catch()
export class GlobalExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.send(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }

  /** Also installed as Express error middleware, for errors raised before Nest routes (body parsing). */
  readonly middleware = (exception: unknown, request: Request, response: Response, _next: NextFunction): void => {
    this.send(exception, request, response);
  };

  send(exception: unknown, request: Request, response: Response): void {
    const body = this.toBody(exception, request);

    if (exception instanceof DomainException && exception.retryAfterSeconds) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    if (response.headersSent) return;
    response.status(body.statusCode);
    if (request.path.startsWith('/api') || !request.accepts('html')) {
      response.json(body);
    } else {
      response.type('html').send(renderErrorPage(body));
    }
  }

  private toBody(exception: unknown, request: Request): ApiErrorBody {
    if (exception instanceof DomainException) {
      const statusCode = DOMAIN_STATUS[exception.code];
      if (statusCode >= 500) return this.internal(exception, request);
      return {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message: exception.message,
        code: exception.code === 'validation' ? 'validation_failed' : exception.code,
        ...(exception.fields ? { errors: exception.fields } : {}),
      };
    }
    if (exception instanceof HttpException) {
      const statusCode = exception.getStatus();
      if (statusCode >= 500) return this.internal(exception, request);
      return {
        statusCode,
        error: STATUS_CODES[statusCode] ?? 'Error',
        message: httpExceptionMessage(exception, request),
        code: HTTP_STATUS_CODES[statusCode] ?? 'bad_request',
      };
    }
    const bodyParserType = (exception as { type?: string } | null)?.type;
    if (bodyParserType === 'entity.parse.failed') {
      return { statusCode: 400, error: STATUS_CODES[400]!, message: 'The request body is not valid JSON.', code: 'bad_request' };
    }
    if (bodyParserType === 'entity.too.large') {
      return { statusCode: 413, error: STATUS_CODES[413]!, message: 'The request body is too large.', code: 'too_large' };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.error({ err: describe(exception), requestId: requestIdOf(request) }, 'database unavailable');
      return { statusCode: 503, error: STATUS_CODES[503]!, message: UNAVAILABLE_MESSAGE, code: 'database_unavailable' };
    }
    return this.internal(exception, request);
  }

  private internal(exception: unknown, request: Request): ApiErrorBody {
    const requestId = requestIdOf(request);
    this.logger.error({ err: describe(exception), requestId }, 'unhandled error');
    return {
      statusCode: 500,
      error: STATUS_CODES[500]!,
      message: `Something went wrong on our side. If it keeps happening, contact support and quote request id ${requestId}.`,
      code: 'internal_error',
      requestId,
    };
  }
}

/** Codes for errors Nest raises itself (unknown routes, guards), in the domain's vocabulary. */
const HTTP_STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  422: 'validation_failed',
  429: 'rate_limited',
};

function httpExceptionMessage(exception: HttpException, request: Request): string {
  if (exception.getStatus() === 404 && exception.message.startsWith('Cannot ')) {
    return `There is no ${request.method} ${request.path} route.`;
  }
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

function requestIdOf(request: Request): string {
  return RequestContext.current()?.requestId ?? String((request as { id?: unknown }).id ?? 'unknown');
}

function describe(exception: unknown): Record<string, unknown> {
  if (exception instanceof Error) {
    return { name: exception.name, message: exception.message, stack: exception.stack, code: (exception as { code?: unknown }).code };
  }
  return { value: String(exception) };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function renderErrorPage(body: ApiErrorBody): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(body.error)}</title></head><body style="font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem"><main><h1>${escapeHtml(body.error)}</h1><p>${escapeHtml(body.message)}</p></main></body></html>`;
}
