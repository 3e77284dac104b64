import { SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { FhirSyncConfig } from './fhir-sync.config';
import { FhirSyncError, fhirFetch, oneLine, readJson, serverExplanation, statusText } from './fhir-http';

/** A token is fetched again this long before the server says it expires. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** SMART Backend Services: the assertion's exp at most five minutes ahead; less leaves room for clock drift. */
const ASSERTION_LIFETIME_S = 240;
/** A server clock further off than this is named as the likely cause of a refused assertion. */
const CLOCK_SKEW_WORTH_NAMING_MS = 60_000;

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

/**
 * SMART Backend Services (client credentials with a `private_key_jwt` assertion): ResetDesk
 * signs a short-lived JWT with its private key, the EHR checks it against the public key it has
 * registered for our client id and answers a bearer token. Tokens are kept until shortly before
 * they expire; a 401 elsewhere drops the cached one (`invalidate`) so the next call asks again.
 */
export class SmartBackendClient {
  private tokenUrl: string | null;
  private cached: CachedToken | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly config: FhirSyncConfig,
    private readonly now: () => number = Date.now,
    /** The clock the assertion's iat and exp are read from (apart only in tests). */
    private readonly signingNow: () => number = now,
  ) {
    this.tokenUrl = config.tokenUrl;
  }

  async accessToken(): Promise<string> {
    if (this.cached && this.cached.expiresAt - TOKEN_REFRESH_MARGIN_MS > this.now()) return this.cached.accessToken;
    // Concurrent downloads share one token request.
    this.pending ??= this.requestToken().finally(() => (this.pending = null));
    return this.pending;
  }

  /** The server refused our token (401): forget it so the next call gets a fresh one. */
  invalidate(token: string): void {
    if (this.cached?.accessToken === token) this.cached = null;
  }

  async resolveTokenUrl(): Promise<string> {
    if (this.tokenUrl) return this.tokenUrl;
    const url = `${this.config.baseUrl}/.well-known/smart-configuration`;
    const response = await fhirFetch(url, {
      headers: { Accept: 'application/json' },
      timeoutMs: this.config.requestTimeoutMs,
      what: 'the SMART configuration',
    });
    const body = (await readJson(response, this.config.requestTimeoutMs, 'the SMART configuration')) as { token_endpoint?: unknown } | null;
    if (!response.ok || typeof body?.token_endpoint !== 'string') {
      const why = response.ok ? 'it names no token_endpoint' : statusText(response);
      throw new FhirSyncError('discovery', `Could not read ${url} (${why}); set FHIR_TOKEN_URL to the EHR's token endpoint, or check FHIR_BASE_URL`);
    }
    let tokenUrl: URL;
    try {
      tokenUrl = new URL(body.token_endpoint);
    } catch {
      throw new FhirSyncError('discovery', `The SMART configuration at ${url} names a token_endpoint that is not a URL; set FHIR_TOKEN_URL`);
    }
    // The assertion and the token must not travel in clear because discovery said so.
    if (tokenUrl.protocol !== 'https:' && new URL(this.config.baseUrl).protocol === 'https:') {
      throw new FhirSyncError('discovery', `The SMART configuration names a token_endpoint that is not https (${tokenUrl.origin}); set FHIR_TOKEN_URL`);
    }
    this.tokenUrl = tokenUrl.toString();
    return this.tokenUrl;
  }

  /** The signed client assertion for one token request (exported for tests of its shape). */
  async clientAssertion(tokenUrl: string): Promise<string> {
    const issuedAt = Math.floor(this.signingNow() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: this.config.algorithm, kid: this.config.keyId, typ: 'JWT' })
      .setIssuer(this.config.clientId)
      .setSubject(this.config.clientId)
      .setAudience(tokenUrl)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + ASSERTION_LIFETIME_S)
      .setJti(randomUUID())
      .sign(this.config.privateKey);
  }

  private async requestToken(): Promise<string> {
    const tokenUrl = await this.resolveTokenUrl();
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: this.config.scopes,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await this.clientAssertion(tokenUrl),
    });
    const sentAt = this.now();
    const response = await fhirFetch(tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: body.toString(),
      timeoutMs: this.config.requestTimeoutMs,
      what: 'the token request',
    });
    const answer = (await readJson(response, this.config.requestTimeoutMs, 'the token answer')) as {
      access_token?: unknown;
      expires_in?: unknown;
      token_type?: unknown;
    } | null;
    if (!response.ok) throw this.refusal(response, answer, sentAt);
    if (typeof answer?.access_token !== 'string' || !answer.access_token) {
      throw new FhirSyncError('token_refused', `The token endpoint answered ${statusText(response)} without an access_token`);
    }
    if (typeof answer.token_type === 'string' && answer.token_type.toLowerCase() !== 'bearer') {
      throw new FhirSyncError('token_refused', `The token endpoint issued a "${answer.token_type}" token; only bearer tokens are supported`);
    }
    const lifetimeS = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 300;
    this.cached = { accessToken: answer.access_token, expiresAt: sentAt + lifetimeS * 1000 };
    return answer.access_token;
  }

  /** Says which of the usual causes the server's answer points at, and what to check. */
  private refusal(response: Response, body: unknown, sentAt: number): FhirSyncError {
    const error = body && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : null;
    const description = oneLine(String((body as { error_description?: unknown } | null)?.error_description ?? ''));
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    const skewMs = Number.isNaN(serverDate) ? 0 : serverDate - sentAt;
    const said = serverExplanation(body) ?? statusText(response);
    const prefix = `The EHR refused the token request (${said})`;
    const skewNote =
      Math.abs(skewMs) >= CLOCK_SKEW_WORTH_NAMING_MS
        ? ` (the server's clock is ${Math.round(Math.abs(skewMs) / 1000)} s ${skewMs > 0 ? 'ahead of' : 'behind'} this machine's)`
        : '';

    let advice: string;
    if (error === 'invalid_scope') {
      advice = `the scopes asked for (FHIR_SCOPES "${this.config.scopes}") are not granted to this client in the EHR`;
    } else if (/\b(exp|iat|nbf)\b|expir|not yet valid|clock|in the future|too old|lifetime|\btime\b/i.test(description) || skewNote) {
      advice = `clock skew: the assertion's times were refused; set this machine's clock right (NTP)${skewNote}`;
    } else if (/\bjti\b|replay|already (been )?used/i.test(description)) {
      advice = 'the assertion was seen as replayed (jti reused); if this repeats, another installation may share this client id';
    } else if (/signature|\bkey\b|\bkid\b|jwk|jwks|verif|public/i.test(description)) {
      advice = `bad key: the signature did not verify; register the public key of FHIR_PRIVATE_KEY_FILE with kid "${this.config.keyId}" (FHIR_KEY_ID) in the EHR`;
    } else if (/client|\biss\b|\bsub\b|issuer|subject|registered|unknown/i.test(description)) {
      advice = `wrong client id: the EHR does not know FHIR_CLIENT_ID "${this.config.clientId}"`;
    } else if (/\baud\b|audience/i.test(description)) {
      advice = 'the audience was refused; set FHIR_TOKEN_URL to the exact token endpoint URL';
    } else if (error === 'invalid_client' || response.status === 401) {
      advice = `invalid_client: check FHIR_CLIENT_ID "${this.config.clientId}", that the EHR holds the public key of FHIR_PRIVATE_KEY_FILE with kid "${this.config.keyId}", and this machine's clock`;
    } else {
      advice = "check the EHR's registration of ResetDesk and FHIR_TOKEN_URL";
    }
    return new FhirSyncError('token_refused', `${prefix}: ${advice}`);
  }
}
