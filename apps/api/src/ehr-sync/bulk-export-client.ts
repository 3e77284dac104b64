import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { FhirSyncConfig, isLocalHost } from './fhir-sync.config';
import { FhirSyncError, FhirSyncFailure, describeNetworkError, fhirFetch, readJson, retryAfterMs, serverExplanation, statusText } from './fhir-http';
import { SmartBackendClient } from './smart-backend-client';

/** The resource types the chart import maps; anything else would only be counted as skipped. */
export const EXPORT_TYPES = ['Patient', 'AllergyIntolerance', 'Condition', 'MedicationRequest', 'MedicationStatement', 'Encounter'] as const;

export interface ExportFile {
  type: string;
  url: string;
  count?: number;
}

export interface ExportManifest {
  transactionTime: string;
  requiresAccessToken: boolean;
  output: ExportFile[];
  error: ExportFile[];
}

export interface BulkExportLimits {
  /** 429 answers in a row (on one request) before the run gives up. */
  max429InARow: number;
  /** The longest single Retry-After honoured; a longer one is shortened to this. */
  maxRetryAfterMs: number;
  /** Poll interval when the server does not say (no Retry-After). */
  defaultPollMs: number;
}

export const DEFAULT_LIMITS: BulkExportLimits = { max429InARow: 30, maxRetryAfterMs: 10 * 60_000, defaultPollMs: 10_000 };

export interface BulkExportOptions {
  limits?: Partial<BulkExportLimits>;
  /** Aborting it (shutdown) ends any wait at once. */
  signal?: AbortSignal;
  /** Told while the server prepares the export (its X-Progress, when it sends one). */
  onWaiting?: (progress: string | null) => void;
}

interface Authorized {
  /** Send the bearer token (false for output files a server hosts without it). */
  token: boolean;
  what: string;
  method?: 'GET' | 'DELETE';
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/**
 * The FHIR Bulk Data client: kick-off, status polling, file downloads and the final DELETE.
 * Every request carries the SMART token (fetched again once on a 401) and honours 429 with its
 * Retry-After, up to a cap, so a busy EHR slows the sync down instead of failing it.
 */
export class BulkExportClient {
  private readonly limits: BulkExportLimits;

  constructor(
    private readonly config: FhirSyncConfig,
    private readonly smart: SmartBackendClient,
    private readonly options: BulkExportOptions = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
  }

  /** The kick-off URL for an export of changes since `since` (everything when null). */
  kickOffUrl(since: string | null): string {
    const path = this.config.groupId ? `/Group/${encodeURIComponent(this.config.groupId)}/$export` : '/Patient/$export';
    const params = new URLSearchParams({ _type: EXPORT_TYPES.join(',') });
    if (since) params.set('_since', since);
    return `${this.config.baseUrl}${path}?${params.toString()}`;
  }

  /** Starts the export; answers the status URL to poll. */
  async kickOff(since: string | null): Promise<string> {
    const url = this.kickOffUrl(since);
    const response = await this.send(url, {
      token: true,
      what: 'the export kick-off',
      headers: { Accept: 'application/fhir+json', Prefer: 'respond-async' },
    });
    if (response.status !== 202) {
      const body = await readJson(response, this.config.requestTimeoutMs, 'the kick-off answer').catch(() => null);
      throw new FhirSyncError(
        'kickoff',
        `The FHIR server refused the export request (${explain(response, body)})${kickOffHint(response.status, this.config.groupId)}`,
      );
    }
    await response.body?.cancel().catch(() => undefined);
    const location = response.headers.get('content-location');
    if (!location) throw new FhirSyncError('kickoff', 'The FHIR server accepted the export request but gave no Content-Location to poll');
    return new URL(location, url).toString();
  }

  /** Polls the status URL until the manifest is ready, the export fails, or FHIR_EXPORT_TIMEOUT_MINUTES passes. */
  async waitForManifest(statusUrl: string): Promise<ExportManifest> {
    const deadline = Date.now() + this.config.exportTimeoutMs;
    let transientFailures = 0;
    for (;;) {
      const response = await this.send(statusUrl, { token: true, what: 'the export status', headers: { Accept: 'application/json' } });
      if (response.status === 200) {
        const body = await readJson(response, this.config.requestTimeoutMs, 'the export manifest');
        return parseManifest(body);
      }
      let waitMs: number;
      if (response.status === 202) {
        await response.body?.cancel().catch(() => undefined);
        transientFailures = 0;
        this.options.onWaiting?.(response.headers.get('x-progress'));
        waitMs = retryAfterMs(response) ?? this.limits.defaultPollMs;
      } else {
        const body = await readJson(response, this.config.requestTimeoutMs, 'the export status').catch(() => null);
        // A hiccup of the status endpoint (not of the export): the spec asks servers to mark it transient.
        const transient = response.status === 503 || isTransientOutcome(body);
        if (!transient || ++transientFailures > this.limits.max429InARow) {
          throw new FhirSyncError('export_failed', `The FHIR server reported that the export failed (${explain(response, body)})`);
        }
        waitMs = retryAfterMs(response) ?? this.limits.defaultPollMs;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new FhirSyncError(
          'timeout',
          `The FHIR server had not finished the export after ${Math.round(this.config.exportTimeoutMs / 60_000)} minutes (FHIR_EXPORT_TIMEOUT_MINUTES)`,
        );
      }
      await this.sleep(Math.min(waitMs, this.limits.maxRetryAfterMs, left));
    }
  }

  /**
   * Opens one output file as a byte stream, read as the importer consumes it (never held whole).
   * It fails with a `cut_off` FhirSyncError when the connection breaks or stalls mid-file, or
   * delivers fewer bytes than its Content-Length said.
   */
  async openFile(file: ExportFile, requiresAccessToken: boolean, kind: 'output' | 'error' = 'output'): Promise<Readable> {
    const name = fileLabel(file);
    const controller = new AbortController();
    const signal = this.options.signal ? AbortSignal.any([controller.signal, this.options.signal]) : controller.signal;
    const response = await this.send(file.url, {
      token: requiresAccessToken,
      what: `the download of ${name}`,
      headers: { Accept: 'application/fhir+ndjson' },
      signal,
    });
    if (!response.ok || !response.body) {
      const body = await readJson(response, this.config.requestTimeoutMs, `the download of ${name}`).catch(() => null);
      throw new FhirSyncError('download', `Downloading ${kind === 'error' ? 'the error file ' : ''}${name} failed (${explain(response, body)})`);
    }
    const declared = Number(response.headers.get('content-length'));
    const expected = Number.isFinite(declared) && response.headers.has('content-length') ? declared : null;
    const idleMs = this.config.requestTimeoutMs;
    const source = response.body;

    async function* guarded(): AsyncGenerator<Buffer> {
      let bytes = 0;
      let stalled = false;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stalled = true;
          controller.abort();
        }, idleMs);
      };
      let finished = false;
      try {
        arm();
        for await (const chunk of source) {
          arm();
          bytes += chunk.byteLength;
          yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
        finished = true;
      } catch (error) {
        // Every declared byte arrived: a server that hung up afterwards (its keep-alive ran out
        // while the importer was still busy with earlier lines) cut nothing.
        if (!stalled && expected !== null && bytes === expected) {
          finished = true;
          return;
        }
        const why = stalled ? `nothing arrived for ${Math.round(idleMs / 1000)} s` : describeNetworkError(error);
        throw new FhirSyncError('cut_off', `The download of ${name} was cut off after ${bytes}${expected !== null ? ` of ${expected}` : ''} bytes (${why})`);
      } finally {
        clearTimeout(timer);
        // The importer stopped reading early: close the connection rather than leave it open.
        if (!finished) controller.abort();
      }
      if (expected !== null && bytes !== expected) {
        throw new FhirSyncError('cut_off', `The download of ${name} was cut off after ${bytes} of ${expected} bytes`);
      }
    }
    return Readable.from(guarded(), { objectMode: false });
  }

  /** Tells the server it may delete the export's files. A refusal here costs nothing but disk on their side. */
  async deleteJob(statusUrl: string): Promise<boolean> {
    try {
      const response = await this.send(statusUrl, { token: true, method: 'DELETE', what: 'the export clean-up' });
      await response.body?.cancel().catch(() => undefined);
      return response.ok;
    } catch {
      return false;
    }
  }

  /** One request with the token (fresh once on 401) and 429s waited out up to the cap. */
  private async send(url: string, request: Authorized): Promise<Response> {
    this.checkDestination(url, request);
    let refreshed = false;
    let throttled = 0;
    for (;;) {
      const token = request.token ? await this.smart.accessToken() : null;
      const headers: Record<string, string> = { ...request.headers };
      if (token) headers.Authorization = `Bearer ${token}`;
      const response = await fhirFetch(url, {
        method: request.method ?? 'GET',
        headers,
        timeoutMs: this.config.requestTimeoutMs,
        what: request.what,
        signal: request.signal ?? this.options.signal,
      });
      if (response.status === 401 && token && !refreshed) {
        await response.body?.cancel().catch(() => undefined);
        this.smart.invalidate(token);
        refreshed = true;
        continue;
      }
      if (response.status === 401) {
        const body = await readJson(response, this.config.requestTimeoutMs, request.what).catch(() => null);
        throw new FhirSyncError(
          failureOf(request.what),
          `The FHIR server refused ResetDesk's access token for ${request.what} (${explain(response, body)}), even a fresh one: check that the EHR grants this client the scopes of FHIR_SCOPES`,
        );
      }
      if (response.status === 429) {
        await response.body?.cancel().catch(() => undefined);
        if (++throttled > this.limits.max429InARow) {
          throw new FhirSyncError(
            'rate_limited',
            `The FHIR server kept answering 429 Too Many Requests to ${request.what} (${throttled} times in a row); the next run tries again`,
          );
        }
        const backoff = Math.min(1000 * 2 ** Math.min(throttled - 1, 6), 60_000);
        await this.sleep(Math.min(retryAfterMs(response) ?? backoff, this.limits.maxRetryAfterMs));
        continue;
      }
      return response;
    }
  }

  /**
   * The status and file URLs come from the server's answers, not from our settings: the access
   * token goes only to FHIR_BASE_URL's own origin, and patient data only over https (or on this
   * machine), whatever a manifest says.
   */
  private checkDestination(url: string, request: Authorized): void {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new FhirSyncError(failureOf(request.what), `The FHIR server named an address for ${request.what} that is not a URL`);
    }
    const base = new URL(this.config.baseUrl);
    if (request.token && target.origin !== base.origin) {
      throw new FhirSyncError(
        failureOf(request.what),
        `The FHIR server asked for ${request.what} at another address (${target.origin}) with the access token; ResetDesk sends its token only to FHIR_BASE_URL's ${base.origin}`,
      );
    }
    if (target.protocol !== 'https:' && !(target.protocol === 'http:' && isLocalHost(target.hostname))) {
      throw new FhirSyncError(
        failureOf(request.what),
        `The FHIR server named a plain-http address for ${request.what} (${target.origin}); patient data is fetched over https only`,
      );
    }
  }

  private async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    try {
      await delay(ms, undefined, { signal: this.options.signal });
    } catch {
      throw new FhirSyncError('timeout', 'ResetDesk was stopped while waiting for the FHIR server; the next run starts again');
    }
  }
}

function failureOf(what: string): FhirSyncFailure {
  return what.startsWith('the download') ? 'download' : what === 'the export kick-off' ? 'kickoff' : 'export_failed';
}

function explain(response: Response, body: unknown): string {
  const said = serverExplanation(body);
  return said ? `${statusText(response)}: ${said}` : statusText(response);
}

function kickOffHint(status: number, groupId: string | null): string {
  if (status === 404)
    return groupId
      ? `; check FHIR_GROUP_ID "${groupId}" and that the server supports Bulk Data $export`
      : '; check that the server supports Bulk Data $export (or set FHIR_GROUP_ID)';
  if (status === 403) return '; the EHR has not granted this client access to the export (FHIR_SCOPES, or the group)';
  if (status >= 500) return "; a fault on the EHR's side, the next run tries again";
  return '';
}

function isTransientOutcome(body: unknown): boolean {
  const issues = (body as { resourceType?: string; issue?: { code?: string }[] } | null)?.issue;
  return Array.isArray(issues) && issues.length > 0 && issues.every((issue) => issue.code === 'transient' || issue.code === 'throttled');
}

/** The file's name as the EHR wrote it (the last path segment), for messages and reject lists. */
export function fileLabel(file: ExportFile): string {
  try {
    const segment = new URL(file.url).pathname.split('/').filter(Boolean).pop();
    return segment ? decodeURIComponent(segment) : `${file.type}.ndjson`;
  } catch {
    return `${file.type}.ndjson`;
  }
}

function parseManifest(body: unknown): ExportManifest {
  const m = body as Partial<ExportManifest> | null;
  const files = (list: unknown): ExportFile[] | null =>
    Array.isArray(list) && list.every((f) => f && typeof f.type === 'string' && typeof f.url === 'string') ? (list as ExportFile[]) : null;
  const output = files(m?.output ?? null);
  const error = m?.error === undefined ? [] : files(m.error);
  if (!m || typeof m.transactionTime !== 'string' || Number.isNaN(Date.parse(m.transactionTime)) || !output || !error) {
    throw new FhirSyncError(
      'export_failed',
      'The FHIR server finished the export but its manifest is not valid Bulk Data JSON (transactionTime, output, error)',
    );
  }
  return { transactionTime: m.transactionTime, requiresAccessToken: m.requiresAccessToken === true, output, error };
}
