import { Injectable } from '@nestjs/common';
import { KeyObject, createHmac, createPrivateKey, createPublicKey } from 'node:crypto';
import { CompactSign, compactVerify, exportJWK, type JWK } from 'jose';
import { sha256Hex } from '../common/secrets';
import { AppSecrets } from '../common/app-secrets';
import type { AuditEvent } from './audit-event.entity';

/** The fields a row's hash covers, in a fixed order. */
function canonical(event: Omit<AuditEvent, 'hash'>): unknown[] {
  return [
    event.id,
    event.practiceId,
    event.seq,
    event.action,
    event.actorType,
    event.actorId,
    event.actorName,
    event.patientId,
    event.reason,
    event.details,
    event.ip,
    event.userAgent,
    new Date(event.createdAt).toISOString(),
    event.prevHash,
  ];
}

/** The hash of events written before the chain was keyed: anyone can recompute it. */
export function plainAuditEventHash(event: Omit<AuditEvent, 'hash'>): string {
  return sha256Hex(JSON.stringify(canonical(event)));
}

/** A checkpoint's signed statement: the chain of `practiceId` had `seq` events ending in `hash`. */
export interface AuditCheckpointClaims {
  practiceId: string;
  seq: number;
  hash: string | null;
  signedAt: string;
}

// DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The audit chain's two keys, both derived from APP_SECRET and never stored:
 * - an HMAC key for event hashes, so whoever can write the database but not read the server's
 *   secret cannot recompute a hash after editing a row;
 * - an Ed25519 key for checkpoints. Asymmetric on purpose: a clinic (or its auditor) verifies a
 *   downloaded checkpoint with the public key alone, away from the server, and the public key
 *   cannot make new ones.
 */
@Injectable()
export class AuditChainKeys {
  private readonly hmacKey: Buffer;
  private readonly signingKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;

  constructor(secrets: AppSecrets) {
    this.hmacKey = secrets.key('audit-chain-hmac');
    const seed = secrets.key('audit-checkpoint-ed25519');
    this.signingKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    this.publicKey = createPublicKey(this.signingKey);
    this.keyId = sha256Hex(this.publicKey.export({ format: 'der', type: 'spki' })).slice(0, 16);
  }

  /** HMAC-SHA-256 of the same canonical fields as the plain hash. */
  keyedHash(event: Omit<AuditEvent, 'hash'>): string {
    return createHmac('sha256', this.hmacKey)
      .update(JSON.stringify(['audit-chain-v2', ...canonical(event)]))
      .digest('hex');
  }

  /** The hash a row must carry: keyed from the head's keyedFromSeq on, plain before it. */
  hashFor(event: Omit<AuditEvent, 'hash'>, keyedFromSeq: number): string {
    return event.seq >= keyedFromSeq ? this.keyedHash(event) : plainAuditEventHash(event);
  }

  /** A compact JWS (EdDSA) whose payload is the claims, in this order. */
  async sign(claims: AuditCheckpointClaims): Promise<string> {
    const payload = JSON.stringify({ practiceId: claims.practiceId, seq: claims.seq, hash: claims.hash, signedAt: claims.signedAt });
    return new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.keyId, typ: 'resetdesk-audit-checkpoint' })
      .sign(this.signingKey);
  }

  /** The claims a signature really carries, or null when it is not ours or was altered. */
  async verified(signature: string): Promise<AuditCheckpointClaims | null> {
    try {
      const { payload } = await compactVerify(signature, this.publicKey, { algorithms: ['EdDSA'] });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as AuditCheckpointClaims;
      return claims && typeof claims === 'object' ? claims : null;
    } catch {
      return null;
    }
  }

  async publicJwk(): Promise<JWK> {
    return { ...(await exportJWK(this.publicKey)), kid: this.keyId, alg: 'EdDSA', use: 'sig' };
  }
}
