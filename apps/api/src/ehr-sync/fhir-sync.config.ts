import { createHash, createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/**
 * Settings of the EHR sync (FHIR Bulk Data with SMART Backend Services), validated once at
 * start-up like the rest of the configuration. Every refusal names the variable, because the
 * person who reads it is the one editing the environment, not the one who wrote the code.
 */
export interface FhirSyncConfig {
  /** FHIR_BASE_URL without a trailing slash. */
  baseUrl: string;
  /** FHIR_TOKEN_URL, or null to discover it from `.well-known/smart-configuration`. */
  tokenUrl: string | null;
  clientId: string;
  /** The `kid` of the JWT header; the key's RFC 7638 thumbprint unless FHIR_KEY_ID is set. */
  keyId: string;
  privateKey: KeyObject;
  algorithm: 'RS384' | 'ES384';
  /** The public half as a JWK (with kid, alg and use), what the EHR needs registered. */
  publicJwk: Record<string, string>;
  groupId: string | null;
  scopes: string;
  /** Minutes between scheduled syncs; null: no schedule (the CLI still works). */
  intervalMinutes: number | null;
  /** The practice (name or id) that scheduled syncs import into. */
  schedulePractice: string | null;
  /** Longest wait for one answer from the server (or between two chunks of a download). */
  requestTimeoutMs: number;
  /** Longest wait for the server to finish preparing an export. */
  exportTimeoutMs: number;
}

export class FhirSyncConfigError extends Error {}

type Env = Record<string, string | undefined>;

/** Our variables only: FHIR_MRN_SYSTEM belongs to the chart import and does not turn sync on. */
const SYNC_VARIABLES = [
  'FHIR_BASE_URL',
  'FHIR_CLIENT_ID',
  'FHIR_PRIVATE_KEY_FILE',
  'FHIR_KEY_ID',
  'FHIR_TOKEN_URL',
  'FHIR_GROUP_ID',
  'FHIR_SCOPES',
  'FHIR_SYNC_INTERVAL_MINUTES',
  'FHIR_SYNC_PRACTICE',
  'FHIR_REQUEST_TIMEOUT_SECONDS',
  'FHIR_EXPORT_TIMEOUT_MINUTES',
];

/** Null when sync is not configured at all; throws FhirSyncConfigError when it is, but wrongly. */
export function loadFhirSyncConfig(env: Env, cwd = process.cwd()): FhirSyncConfig | null {
  const given = (name: string) => (env[name] ?? '').trim();
  if (!given('FHIR_BASE_URL')) {
    const stray = SYNC_VARIABLES.find((name) => given(name));
    if (stray) throw new FhirSyncConfigError(`FHIR_BASE_URL is required when ${stray} is set (the EHR's FHIR R4 base URL, https://…)`);
    return null;
  }
  const baseUrl = serverUrl(env, 'FHIR_BASE_URL')!.replace(/\/+$/, '');
  const tokenUrl = serverUrl(env, 'FHIR_TOKEN_URL');
  const clientId = given('FHIR_CLIENT_ID');
  if (!clientId) throw new FhirSyncConfigError('FHIR_CLIENT_ID is required with FHIR_BASE_URL (the client id the EHR gave ResetDesk when it was registered)');
  const { privateKey, algorithm } = readPrivateKey(given('FHIR_PRIVATE_KEY_FILE'), cwd);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>;
  const keyId = given('FHIR_KEY_ID') || jwkThumbprint(publicJwk);
  if (!/^[\x21-\x7e]{1,128}$/.test(keyId)) throw new FhirSyncConfigError('FHIR_KEY_ID must be 1 to 128 visible ASCII characters');

  const groupId = given('FHIR_GROUP_ID') || null;
  if (groupId && !/^[A-Za-z0-9\-.]{1,64}$/.test(groupId)) {
    throw new FhirSyncConfigError(`FHIR_GROUP_ID must be a FHIR id (letters, digits, "-" and ".", up to 64) (got "${groupId}")`);
  }
  const scopes = given('FHIR_SCOPES').replace(/\s+/g, ' ') || 'system/*.read';
  const intervalMinutes = intVar(env, 'FHIR_SYNC_INTERVAL_MINUTES', null, 1, 7 * 24 * 60);
  const schedulePractice = given('FHIR_SYNC_PRACTICE') || null;
  if (intervalMinutes !== null && !schedulePractice) {
    throw new FhirSyncConfigError("FHIR_SYNC_PRACTICE is required with FHIR_SYNC_INTERVAL_MINUTES (the name or id of the practice the EHR's charts belong to)");
  }

  return Object.freeze({
    baseUrl,
    tokenUrl,
    clientId,
    keyId,
    privateKey,
    algorithm,
    publicJwk: Object.freeze({ ...publicJwk, kid: keyId, alg: algorithm, use: 'sig' }),
    groupId,
    scopes,
    intervalMinutes,
    schedulePractice,
    requestTimeoutMs: intVar(env, 'FHIR_REQUEST_TIMEOUT_SECONDS', 60, 1, 3600)! * 1000,
    exportTimeoutMs: intVar(env, 'FHIR_EXPORT_TIMEOUT_MINUTES', 240, 1, 7 * 24 * 60)! * 60_000,
  });
}

/** https, except on this machine: a bearer token and patient data never cross a network in clear. */
function serverUrl(env: Env, name: string): string | null {
  const raw = (env[name] ?? '').trim();
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FhirSyncConfigError(`${name} is not a valid URL (got "${raw}")`);
  }
  if (url.username || url.password) throw new FhirSyncConfigError(`${name} must not carry a user name or password`);
  if (url.search || url.hash) throw new FhirSyncConfigError(`${name} must not have a query or fragment (got "${raw}")`);
  if (url.protocol === 'https:') return url.toString();
  if (url.protocol === 'http:' && isLocalHost(url.hostname)) return url.toString();
  throw new FhirSyncConfigError(`${name} must be an https:// URL (plain http is allowed only for localhost) (got "${raw}")`);
}

export function isLocalHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || hostname === '::1' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

function readPrivateKey(file: string, cwd: string): { privateKey: KeyObject; algorithm: 'RS384' | 'ES384' } {
  if (!file)
    throw new FhirSyncConfigError(
      'FHIR_PRIVATE_KEY_FILE is required with FHIR_BASE_URL (a PEM file with the private key whose public half is registered with the EHR)',
    );
  const path = isAbsolute(file) ? file : resolve(cwd, file);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    throw new FhirSyncConfigError(`FHIR_PRIVATE_KEY_FILE cannot be read: ${path} (${why})`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    throw new FhirSyncConfigError(
      `FHIR_PRIVATE_KEY_FILE is not a readable PEM private key: ${path} (expected "-----BEGIN PRIVATE KEY-----", unencrypted, RSA or EC P-384)`,
    );
  }
  if (privateKey.asymmetricKeyType === 'rsa') {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) throw new FhirSyncConfigError(`FHIR_PRIVATE_KEY_FILE holds a ${bits}-bit RSA key: use at least 2048 bits`);
    return { privateKey, algorithm: 'RS384' };
  }
  if (privateKey.asymmetricKeyType === 'ec' && privateKey.asymmetricKeyDetails?.namedCurve === 'secp384r1') {
    return { privateKey, algorithm: 'ES384' };
  }
  const kind = privateKey.asymmetricKeyType === 'ec' ? `an EC ${privateKey.asymmetricKeyDetails?.namedCurve} key` : `a ${privateKey.asymmetricKeyType} key`;
  throw new FhirSyncConfigError(`FHIR_PRIVATE_KEY_FILE holds ${kind}: SMART Backend Services needs RSA (RS384) or EC P-384 (ES384)`);
}

/** RFC 7638: SHA-256 over the required members in lexicographic order. */
function jwkThumbprint(jwk: Record<string, string>): string {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function intVar(env: Env, name: string, fallback: number | null, min: number, max: number): number | null {
  const raw = (env[name] ?? '').trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new FhirSyncConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}
