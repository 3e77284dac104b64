import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A private JSON Web Key as oidc-provider and jose take it. */
export type PrivateJwk = Record<string, unknown> & { kty: string; kid?: string; d?: string };

/**
 * A fresh signing key set: one RSA key for RS256 (what every relying party library accepts).
 * Rotation appends a new key first and keeps the old one until tokens it signed have expired.
 */
export function newSigningKeySet(): { keys: PrivateJwk[] } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' }) as PrivateJwk;
  return { keys: [{ ...jwk, kid: randomUUID(), use: 'sig', alg: 'RS256' }] };
}

/**
 * The provider's keys from the configured file. Development generates the file on first start
 * (mode 600) so ID tokens stay verifiable across restarts; production must be given one.
 */
export function loadSigningKeys(file: string, generate: boolean): PrivateJwk[] {
  if (!existsSync(file)) {
    if (!generate) throw new Error(`OIDC_JWKS_FILE points to ${file}, which does not exist`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(newSigningKeySet(), null, 2) + '\n', { mode: 0o600 });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new Error(`OIDC_JWKS_FILE (${file}) is not valid JSON`);
  }
  const keys = (parsed as { keys?: unknown })?.keys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    !keys.every((k) => k && typeof k === 'object' && typeof (k as PrivateJwk).kty === 'string' && (k as PrivateJwk).d)
  ) {
    throw new Error(`OIDC_JWKS_FILE (${file}) must be a JSON Web Key Set of private keys: {"keys": [{"kty": "RSA", "d": …}, …]}`);
  }
  return keys as PrivateJwk[];
}
