/**
 * What went wrong talking to the EHR, in words a clinic's administrator can act on: this text
 * becomes the failed import's `error`, shown in Chart imports.
 */
export type FhirSyncFailure = 'unreachable' | 'timeout' | 'token_refused' | 'discovery' | 'kickoff' | 'export_failed' | 'rate_limited' | 'download' | 'cut_off';

export class FhirSyncError extends Error {
  constructor(
    readonly failure: FhirSyncFailure,
    message: string,
  ) {
    super(message);
    this.name = 'FhirSyncError';
  }
}

export interface FhirRequest {
  method?: 'GET' | 'POST' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  /** Abort when no answer (headers) came within this long. */
  timeoutMs: number;
  /** What this request is, for messages: "the token request", "the export kick-off". */
  what: string;
  /** Also abort on this (a download's idle timer, shutdown). */
  signal?: AbortSignal;
}

/**
 * fetch with a deadline for the answer's headers, and network failures turned into
 * FhirSyncError. The deadline ends with the headers: the caller reads (or streams) the body.
 */
export async function fhirFetch(url: string, request: FhirRequest): Promise<Response> {
  try {
    return await fetchOnce(url, request);
  } catch (error) {
    // A pooled keep-alive connection the server had already closed: one fresh try, for requests
    // that change nothing (the token request is never replayed: its assertion's jti is single-use).
    if (
      error instanceof FhirSyncError &&
      error.failure === 'unreachable' &&
      (request.method ?? 'GET') !== 'POST' &&
      /reset|closed the connection/.test(error.message)
    ) {
      return fetchOnce(url, request);
    }
    throw error;
  }
}

async function fetchOnce(url: string, request: FhirRequest): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), request.timeoutMs);
  try {
    return await fetch(url, {
      method: request.method ?? 'GET',
      headers: request.headers,
      body: request.body,
      signal: request.signal ? AbortSignal.any([controller.signal, request.signal]) : controller.signal,
      redirect: 'follow',
    });
  } catch (error) {
    if (request.signal?.aborted) {
      throw new FhirSyncError('timeout', `ResetDesk stopped waiting for ${request.what}; the next run starts again`);
    }
    if (controller.signal.aborted) {
      throw new FhirSyncError(
        'timeout',
        `The FHIR server did not answer ${request.what} within ${Math.round(request.timeoutMs / 1000)} s (${hostOf(url)}); FHIR_REQUEST_TIMEOUT_SECONDS sets the limit`,
      );
    }
    throw new FhirSyncError(
      'unreachable',
      `Could not reach the FHIR server for ${request.what}: ${describeNetworkError(error)} (${hostOf(url)}); check FHIR_BASE_URL and the network`,
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a JSON body within the deadline; null when it is not JSON. */
export async function readJson(response: Response, timeoutMs: number, what: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FhirSyncError('timeout', `The FHIR server did not finish ${what} within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
  });
  try {
    const text = await Promise.race([response.text(), timeout]);
    try {
      return JSON.parse(text);
    } catch {
      return null;
    }
  } catch (error) {
    if (error instanceof FhirSyncError) throw error;
    throw new FhirSyncError('unreachable', `The connection broke while reading ${what}: ${describeNetworkError(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

export function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const code = cause?.code ?? (error as { code?: string })?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name was not found';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'the connection timed out';
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to the host';
    case 'UND_ERR_SOCKET':
      return 'the server closed the connection';
  }
  if (code && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/i.test(code)) return `its TLS certificate is not trusted (${code})`;
  return cause?.message || (error as Error)?.message || String(error);
}

/** A server's explanation from an OperationOutcome or OAuth error body, cut to one line. */
export function serverExplanation(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as {
    resourceType?: string;
    issue?: { diagnostics?: string; details?: { text?: string }; code?: string }[];
    error?: string;
    error_description?: string;
  };
  if (b.resourceType === 'OperationOutcome' && Array.isArray(b.issue)) {
    const texts = b.issue.map((issue) => issue.diagnostics || issue.details?.text || issue.code).filter(Boolean);
    return texts.length ? oneLine(texts.join('; ')) : null;
  }
  if (typeof b.error === 'string') return oneLine(b.error_description ? `${b.error}: ${b.error_description}` : b.error);
  return null;
}

export function statusText(response: Response): string {
  return `${response.status}${response.statusText ? ' ' + response.statusText : ''}`;
}

export function oneLine(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? line.slice(0, max - 1) + '…' : line;
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(response: Response, now = Date.now()): number | null {
  const raw = response.headers.get('retry-after')?.trim();
  if (!raw) return null;
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
