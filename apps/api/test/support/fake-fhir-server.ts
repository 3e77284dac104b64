import { createLocalJWKSet, decodeProtectedHeader, exportJWK, JSONWebKeySet, jwtVerify } from 'jose';
import { generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * An EHR's FHIR server for tests, in-process on an ephemeral port: SMART Backend Services token
 * endpoint and FHIR Bulk Data `$export`, as the specifications describe them, with switches to
 * fail each step. Its resources carry `meta.lastUpdated`; an export with `_since` returns only
 * those updated after it, and `transactionTime` is the server's `clock` when the export started.
 */

export type Step = 'discovery' | 'token' | 'kickoff' | 'status' | 'download' | 'delete';

export interface Failure {
  status: number;
  /** JSON body (an OperationOutcome or an OAuth error); a default one when absent. */
  body?: unknown;
  /** Fail this many times, then work (default: for ever). */
  times?: number;
  headers?: Record<string, string>;
}

export interface ExportRequestSeen {
  path: string;
  query: Record<string, string>;
  accept: string | undefined;
  prefer: string | undefined;
  authorization: string | undefined;
}

export interface Resource {
  resourceType: string;
  id: string;
  meta?: { lastUpdated?: string };
  [key: string]: unknown;
}

export interface RegisteredClient {
  clientId: string;
  jwks: JSONWebKeySet;
}

export class FakeFhirServer {
  readonly server: Server;
  baseUrl = '';
  readonly clients = new Map<string, JSONWebKeySet>();
  /** The server's current time: exports stamp it as transactionTime. */
  clock = '2026-12-01T08:00:00.000Z';
  resources: Resource[] = [];
  /** OperationOutcome lines the next exports report in their `error` file (none: no error file). */
  exportErrors: { resourceType: 'OperationOutcome'; issue: { severity: string; code: string; diagnostics: string }[] }[] = [];
  /** 202 answers with Retry-After before the manifest is ready. */
  pollsBeforeReady = 1;
  retryAfterSeconds = 0;
  /** 429 answers (with Retry-After: 0) to this many status polls of each export before anything else. */
  throttleStatusPolls = 0;
  tokenLifetimeSeconds = 300;
  requiresAccessToken = true;
  /** Where the manifest says the files are (default: this server). */
  fileBaseUrl: string | null = null;
  /** Break the connection after sending about half of this output file (by type), once per count. */
  cutDownloads = new Map<string, number>();
  /** Send about half of this output file (by type), then nothing more while the connection stays open. */
  stallDownloads = new Set<string>();
  /** Hold kick-offs until released (to make races observable without timing). */
  holdKickOff: Promise<void> | null = null;
  readonly failures = new Map<Step, Failure>();

  // What was seen, for assertions.
  readonly exportRequests: ExportRequestSeen[] = [];
  readonly tokenRequests: { ok: boolean; reason?: string; assertionClaims?: Record<string, unknown>; header?: Record<string, unknown> }[] = [];
  readonly statusPolls: { at: number; status: number }[] = [];
  readonly downloads: { file: string; authorization: string | undefined; status: number }[] = [];
  readonly deleted: string[] = [];
  readonly issuedTokens = new Set<string>();
  private readonly usedJtis = new Set<string>();
  private readonly jobs = new Map<string, { transactionTime: string; since: string | null; types: string[]; polls: number; throttled: number }>();

  constructor() {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((error) => {
        if (!res.headersSent) this.json(res, 500, outcome('exception', String(error)));
        else res.destroy();
      });
    });
  }

  get tokenUrl(): string {
    return `${this.baseUrl}/auth/token`;
  }

  async start(): Promise<this> {
    await new Promise<void>((listening) => this.server.listen(0, '127.0.0.1', listening));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}/fhir`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((closed) => this.server.close(() => closed()));
  }

  register(clientId: string, jwks: JSONWebKeySet): void {
    this.clients.set(clientId, jwks);
  }

  /** Fail a step with this status (and body) `times` times, or until `clear`. */
  fail(step: Step, failure: Failure): void {
    this.failures.set(step, failure);
  }

  clear(step?: Step): void {
    if (step) this.failures.delete(step);
    else this.failures.clear();
  }

  /** Adds or replaces resources, stamping `meta.lastUpdated` with the server's clock. */
  put(...resources: Resource[]): void {
    for (const resource of resources) {
      const stamped = { ...resource, meta: { ...resource.meta, lastUpdated: resource.meta?.lastUpdated ?? this.clock } };
      this.resources = this.resources.filter((r) => !(r.resourceType === resource.resourceType && r.id === resource.id));
      this.resources.push(stamped);
    }
  }

  advanceClock(ms: number): void {
    this.clock = new Date(Date.parse(this.clock) + ms).toISOString();
  }

  private failing(step: Step, res: ServerResponse): boolean {
    const failure = this.failures.get(step);
    if (!failure) return false;
    if (failure.times !== undefined) {
      if (failure.times <= 0) return false;
      failure.times--;
    }
    for (const [name, value] of Object.entries(failure.headers ?? {})) res.setHeader(name, value);
    this.json(res, failure.status, failure.body ?? outcome(failure.status >= 500 ? 'exception' : 'forbidden', `Injected ${step} failure`));
    return true;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/fhir/, '');
    res.setHeader('Date', new Date().toUTCString());
    if (req.method === 'GET' && path === '/.well-known/smart-configuration') {
      if (this.failing('discovery', res)) return;
      return this.json(res, 200, {
        token_endpoint: this.tokenUrl,
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
        token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
        grant_types_supported: ['client_credentials'],
        scopes_supported: ['system/*.read', 'system/*.rs'],
        capabilities: ['client-confidential-asymmetric'],
      });
    }
    if (req.method === 'POST' && path === '/auth/token') return this.token(req, res);
    const kickOff = /^\/(Group\/[^/]+|Patient)\/\$export$/.exec(path);
    if (req.method === 'GET' && kickOff) return this.kickOff(req, res, path, url);
    const status = /^\/status\/([a-f0-9]+)$/.exec(path);
    if (status && req.method === 'GET') return this.status(req, res, status[1]);
    if (status && req.method === 'DELETE') {
      if (!this.authorized(req, res)) return;
      if (this.failing('delete', res)) return;
      this.deleted.push(status[1]);
      this.jobs.delete(status[1]);
      res.writeHead(202).end();
      return;
    }
    const file = /^\/files\/([a-f0-9]+)\/([A-Za-z]+)\.(\d+)\.ndjson$/.exec(path);
    if (file && req.method === 'GET') return this.download(req, res, file[1], file[2], `${file[2]}.${file[3]}.ndjson`);
    const errors = /^\/files\/([a-f0-9]+)\/errors\.ndjson$/.exec(path);
    if (errors && req.method === 'GET') return this.download(req, res, errors[1], 'OperationOutcome', 'errors.ndjson');
    this.json(res, 404, outcome('not-found', `No route ${req.method} ${path}`));
  }

  /** SMART Backend Services: the client assertion checked as the specification lists it. */
  private async token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const refuse = (reason: string, error = 'invalid_client', status = 401) => {
      this.tokenRequests.push({ ok: false, reason });
      this.json(res, status, { error, error_description: reason });
    };
    if (this.failing('token', res)) {
      this.tokenRequests.push({ ok: false, reason: 'injected' });
      return;
    }
    if (form.get('grant_type') !== 'client_credentials') return refuse('grant_type must be client_credentials', 'unsupported_grant_type', 400);
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
      return refuse('client_assertion_type must be jwt-bearer', 'invalid_request', 400);
    const assertion = form.get('client_assertion') ?? '';
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(assertion) as Record<string, unknown>;
    } catch {
      return refuse('client_assertion is not a JWT', 'invalid_request', 400);
    }
    if (!['RS384', 'ES384'].includes(String(header.alg))) return refuse(`alg ${String(header.alg)} is not accepted`);
    if (typeof header.kid !== 'string') return refuse('the assertion has no kid');
    let unverifiedIss: string | undefined;
    try {
      unverifiedIss = JSON.parse(Buffer.from(assertion.split('.')[1], 'base64url').toString()).iss;
    } catch {
      return refuse('client_assertion is not a JWT', 'invalid_request', 400);
    }
    const jwks = unverifiedIss ? this.clients.get(unverifiedIss) : undefined;
    if (!jwks) return refuse(`Client "${unverifiedIss}" is not registered (unknown iss)`);
    if (!jwks.keys.some((k) => k.kid === header.kid)) return refuse(`No registered key matches kid "${String(header.kid)}"`);
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(assertion, createLocalJWKSet(jwks), { algorithms: ['RS384', 'ES384'], clockTolerance: 0 }));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') return refuse('The client assertion has expired (exp is in the past)');
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY')
        return refuse('The client assertion signature did not verify against the registered public key');
      return refuse(`The client assertion was refused (${(error as Error).message})`);
    }
    if (claims.iss !== claims.sub) return refuse('iss and sub must both be the client id');
    if (claims.aud !== this.tokenUrl) return refuse(`aud must be the token URL ${this.tokenUrl}`);
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number') return refuse('the assertion has no exp');
    if (claims.exp > now + 300) return refuse('exp is more than 5 minutes in the future');
    if (typeof claims.jti !== 'string' || !claims.jti) return refuse('the assertion has no jti');
    if (this.usedJtis.has(claims.jti)) return refuse('jti has already been used (replayed assertion)');
    this.usedJtis.add(claims.jti);
    const scope = form.get('scope') ?? '';
    if (!/^system\//.test(scope)) return refuse(`scope "${scope}" is not granted`, 'invalid_scope', 400);
    const accessToken = randomBytes(24).toString('base64url');
    this.issuedTokens.add(accessToken);
    this.tokenRequests.push({ ok: true, assertionClaims: claims, header });
    this.json(res, 200, { access_token: accessToken, token_type: 'bearer', expires_in: this.tokenLifetimeSeconds, scope });
  }

  /** Revoke every token issued so far (the next request with one answers 401). */
  revokeTokens(): void {
    this.issuedTokens.clear();
  }

  private authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token && this.issuedTokens.has(token)) return true;
    this.json(res, 401, outcome('login', token ? 'The access token is not valid' : 'An access token is required'));
    return false;
  }

  private async kickOff(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<void> {
    const query = Object.fromEntries(url.searchParams);
    this.exportRequests.push({ path, query, accept: req.headers.accept, prefer: String(req.headers.prefer ?? ''), authorization: req.headers.authorization });
    if (!this.authorized(req, res)) return;
    if (this.holdKickOff) await this.holdKickOff;
    if (this.failing('kickoff', res)) return;
    if (req.headers.accept !== 'application/fhir+json') return this.json(res, 400, outcome('invalid', 'Accept must be application/fhir+json'));
    if (req.headers.prefer !== 'respond-async') return this.json(res, 400, outcome('invalid', 'Prefer must be respond-async'));
    const job = randomBytes(8).toString('hex');
    this.jobs.set(job, {
      transactionTime: this.clock,
      since: query._since ?? null,
      types: (query._type ?? '').split(',').filter(Boolean),
      polls: 0,
      throttled: 0,
    });
    res.writeHead(202, { 'Content-Location': `${this.baseUrl}/status/${job}` }).end();
  }

  private status(req: IncomingMessage, res: ServerResponse, id: string): void {
    const job = this.jobs.get(id);
    const answer = (status: number): void => void this.statusPolls.push({ at: Date.now(), status });
    if (!this.authorized(req, res)) return answer(401);
    if (!job) return (answer(404), this.json(res, 404, outcome('not-found', 'No such export')));
    if (job.throttled < this.throttleStatusPolls) {
      job.throttled++;
      answer(429);
      res.writeHead(429, { 'Retry-After': '0' }).end();
      return;
    }
    if (this.failing('status', res)) return answer(this.failures.get('status')?.status ?? 500);
    if (job.polls++ < this.pollsBeforeReady) {
      answer(202);
      res.writeHead(202, { 'Retry-After': String(this.retryAfterSeconds), 'X-Progress': `preparing (${job.polls}/${this.pollsBeforeReady})` }).end();
      return;
    }
    answer(200);
    const output = [...new Set(this.selected(job).map((r) => r.resourceType))].sort().map((type) => ({
      type,
      url: `${this.fileBaseUrl ?? this.baseUrl}/files/${id}/${type}.000.ndjson`,
      count: this.selected(job).filter((r) => r.resourceType === type).length,
    }));
    this.json(res, 200, {
      transactionTime: job.transactionTime,
      request: `${this.baseUrl}/Patient/$export`,
      requiresAccessToken: this.requiresAccessToken,
      output,
      error: this.exportErrors.length ? [{ type: 'OperationOutcome', url: `${this.baseUrl}/files/${id}/errors.ndjson` }] : [],
    });
  }

  private selected(job: { since: string | null; types: string[] }): Resource[] {
    return this.resources.filter(
      (r) => (!job.types.length || job.types.includes(r.resourceType)) && (!job.since || Date.parse(r.meta?.lastUpdated ?? '') > Date.parse(job.since)),
    );
  }

  private download(req: IncomingMessage, res: ServerResponse, id: string, type: string, file: string): void {
    const job = this.jobs.get(id);
    const seen = (status: number): void => void this.downloads.push({ file, authorization: req.headers.authorization, status });
    if (this.requiresAccessToken && !this.authorized(req, res)) return seen(401);
    if (!job) return (seen(404), this.json(res, 404, outcome('not-found', 'No such export')));
    if (this.failing('download', res)) return seen(this.failures.get('download')?.status ?? 500);
    const lines = type === 'OperationOutcome' ? this.exportErrors : this.selected(job).filter((r) => r.resourceType === type);
    const body = Buffer.from(lines.map((line) => JSON.stringify(line) + '\n').join(''));
    seen(200);
    res.writeHead(200, { 'Content-Type': 'application/fhir+ndjson', 'Content-Length': String(body.length) });
    if (this.stallDownloads.has(type)) {
      res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))));
      return;
    }
    const cuts = this.cutDownloads.get(type) ?? 0;
    if (cuts > 0) {
      this.cutDownloads.set(type, cuts - 1);
      // Half the file, ending mid-line, then the connection drops.
      res.write(body.subarray(0, Math.max(1, Math.floor(body.length / 2))), () => setImmediate(() => res.socket?.destroy()));
      return;
    }
    res.end(body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json' }).end(text);
  }
}

export function outcome(code: string, diagnostics: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface ClientKeys {
  /** PEM file (PKCS#8) as FHIR_PRIVATE_KEY_FILE reads it. */
  privateKeyFile: string;
  privateKey: KeyObject;
  /** The public JWKS to register with the fake EHR. */
  jwks: JSONWebKeySet;
  kid: string;
}

/** A key pair for ResetDesk's client: the private PEM written into `dir`, the public JWKS to register. */
export async function makeClientKeys(dir: string, alg: 'RS384' | 'ES384' = 'ES384', kid = `resetdesk-${alg.toLowerCase()}`): Promise<ClientKeys> {
  const { privateKey, publicKey } = alg === 'ES384' ? generateKeyPairSync('ec', { namedCurve: 'P-384' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyFile = join(dir, `${kid}.pem`);
  writeFileSync(privateKeyFile, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
  const jwk = await exportJWK(publicKey);
  return { privateKeyFile, privateKey, jwks: { keys: [{ ...jwk, kid, alg, use: 'sig' }] }, kid };
}

export function patient(id: string, overrides: Partial<Resource> = {}): Resource {
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, value: `MRN-${id}` }],
    name: [{ use: 'official', family: `Family${id}`, given: [`Given${id}`] }],
    birthDate: '1980-04-02',
    gender: 'female',
    telecom: [
      { system: 'email', value: `${id}@example.org` },
      { system: 'phone', use: 'mobile', value: '555-810-7203' },
    ],
    ...overrides,
  };
}

export function condition(id: string, patientId: string, text = 'Seasonal allergic rhinitis'): Resource {
  return {
    resourceType: 'Condition',
    id,
    subject: { reference: `Patient/${patientId}` },
    code: { text },
    recordedDate: '2024-03-01',
    clinicalStatus: { coding: [{ code: 'active' }] },
  };
}
