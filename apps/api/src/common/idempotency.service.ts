import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { AppSecrets } from './app-secrets';
import { DomainException } from './domain.exception';
import { IdempotencyKey } from './idempotency-key.entity';
import { sha256Hex } from './secrets';

const KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;
const KEY_LIFETIME_MS = 24 * 3600_000;

export interface IdempotencyRequest {
  practiceId: string;
  scope: string;
  key: string;
  requestHash: string;
}

/**
 * `Idempotency-Key` support for writes a person may send twice (a double click, a retry after a
 * timeout). Looked up and recorded inside the write's own transaction, after its row lock is
 * held, so a replay waits for the first request and then returns its answer. Stored answers can
 * hold a PIN, so they are sealed with APP_SECRET.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly secrets: AppSecrets) {}

  static parseKey(raw: string | undefined): string | null {
    if (raw === undefined || raw === '') return null;
    if (!KEY_PATTERN.test(raw)) {
      throw new DomainException('bad_request', 'The Idempotency-Key header must be 1 to 128 visible ASCII characters, e.g. a UUID.');
    }
    return raw;
  }

  static hashRequest(parts: unknown): string {
    return sha256Hex(JSON.stringify(parts));
  }

  /** The first answer for this key, or null when the key is new. A different request under it is refused. */
  async replay<T>(manager: EntityManager, request: IdempotencyRequest): Promise<T | null> {
    const row = await manager.findOneBy(IdempotencyKey, { practiceId: request.practiceId, scope: request.scope, key: request.key });
    if (!row) return null;
    if (Date.now() - row.createdAt.getTime() > KEY_LIFETIME_MS) {
      await manager.delete(IdempotencyKey, { id: row.id });
      return null;
    }
    if (row.requestHash !== request.requestHash) {
      throw new DomainException('unprocessable', 'This Idempotency-Key was already used for a different request. Send a new key for a new request.');
    }
    return JSON.parse(this.secrets.unseal('idempotency', row.responseBody)) as T;
  }

  async remember(manager: EntityManager, request: IdempotencyRequest, status: number, body: unknown): Promise<void> {
    await manager.insert(IdempotencyKey, {
      id: randomUUID(),
      practiceId: request.practiceId,
      scope: request.scope,
      key: request.key,
      requestHash: request.requestHash,
      responseStatus: status,
      responseBody: this.secrets.seal('idempotency', JSON.stringify(body)),
      createdAt: new Date(),
    });
  }
}
