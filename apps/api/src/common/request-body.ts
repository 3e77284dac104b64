import { Logger } from '@nestjs/common';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { DomainException } from './domain.exception';

/** Larger bodies answer 413; nothing the console or the patient forms send comes near it. */
export const BODY_LIMIT = '100kb';
/** Deeper JSON answers 400: no request of ours nests past a handful of levels. */
export const MAX_JSON_DEPTH = 32;

const ENCODINGS = new Set(['identity', 'gzip', 'deflate']);
const CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);
const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The request body pipeline: JSON and form bodies in UTF-8, identity/gzip/deflate encoded, at most
 * BODY_LIMIT after decompression, JSON at most MAX_JSON_DEPTH deep. Everything else is refused
 * before parsing with a DomainException, so the one error filter answers it (415, 413 or 400)
 * instead of a parser's error reaching it as an unknown 500.
 */
export function requestBodyParsers(): RequestHandler[] {
  const json = express.json({ limit: BODY_LIMIT, verify: refuseDeepJson });
  const form = express.urlencoded({ extended: false, limit: BODY_LIMIT, parameterLimit: 200 });
  return [checkEnvelope, translating(json), translating(form)].map(notForStreamedUploads);
}

/** Routes that read their own (large) body as a stream: a chart import's file goes to disk unparsed. */
export const STREAMED_UPLOAD_PATHS = new Set(['/api/imports']);

function notForStreamedUploads(handler: RequestHandler): RequestHandler {
  return (request, response, next) => (request.method === 'POST' && STREAMED_UPLOAD_PATHS.has(request.path) ? next() : handler(request, response, next));
}

function checkEnvelope(request: Request, _response: Response, next: NextFunction): void {
  if (!METHODS_WITH_BODY.has(request.method) || !request.is(['json', 'urlencoded'])) return next();
  const encoding = String(request.headers['content-encoding'] ?? 'identity')
    .trim()
    .toLowerCase();
  if (!ENCODINGS.has(encoding)) {
    return next(
      new DomainException('unsupported_media_type', 'The request body uses a Content-Encoding this server does not read (use gzip, deflate or none).'),
    );
  }
  const charset = charsetOf(String(request.headers['content-type'] ?? ''));
  if (charset !== null && !CHARSETS.has(charset)) {
    return next(new DomainException('unsupported_media_type', 'The request body must be sent in the UTF-8 charset.'));
  }
  next();
}

function charsetOf(contentType: string): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType);
  return match ? match[1]!.toLowerCase() : null;
}

/** Runs a body parser and turns whatever it fails with into the DomainException a client may see. */
function translating(parser: RequestHandler): RequestHandler {
  return (request, response, next) =>
    parser(request, response, (error?: unknown) => {
      if (error === undefined || error === null || error instanceof DomainException) return next(error);
      const refused = bodyError(error);
      // One short line: the client's mistake, not ours, so no stack trace.
      logger.warn(
        `${request.method} ${request.path}: body refused (${(error as { type?: string; code?: string }).type ?? (error as { code?: string }).code ?? 'unreadable'})`,
      );
      next(refused);
    });
}

const logger = new Logger('RequestBody');

function bodyError(error: unknown): DomainException {
  const { type, status, code } = (error ?? {}) as { type?: string; status?: number; code?: string };
  if (type === 'entity.too.large') return new DomainException('too_large', 'The request body is too large.');
  if (type === 'entity.too.deep') return new DomainException('bad_request', 'The request body is nested too deeply.');
  if (type === 'charset.unsupported') return new DomainException('unsupported_media_type', 'The request body must be sent in the UTF-8 charset.');
  if (type === 'encoding.unsupported') {
    return new DomainException('unsupported_media_type', 'The request body uses a Content-Encoding this server does not read (use gzip, deflate or none).');
  }
  if (type === 'entity.parse.failed') return new DomainException('bad_request', 'The request body is not valid JSON.');
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new DomainException('bad_request', 'The request body is not compressed the way its Content-Encoding says.');
  }
  if (type === 'request.aborted' || type === 'request.size.invalid') return new DomainException('bad_request', 'The request body was not received whole.');
  if (typeof status === 'number' && status >= 400 && status < 500) return new DomainException('bad_request', 'The request body could not be read.');
  return new DomainException('bad_request', 'The request body could not be read.');
}

/**
 * Counts bracket depth over the raw bytes before JSON.parse sees them: a body nested thousands
 * deep would otherwise overflow the stack in the recursive walks after parsing (validation).
 * Brackets inside strings do not count; a string's escaped quote does not end it.
 */
function refuseDeepJson(_request: Request, _response: Response, body: Buffer): void {
  if (jsonDepth(body) > MAX_JSON_DEPTH) throw Object.assign(new Error('JSON nested too deeply'), { status: 400, type: 'entity.too.deep' });
}

export function jsonDepth(body: Buffer): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > deepest) deepest = depth;
    } else if (byte === 0x5d || byte === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
