import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuditChainKeys, plainAuditEventHash } from '../../src/audit/audit-chain-keys';
import type { AuditEvent } from '../../src/audit/audit-event.entity';
import { AppSecrets } from '../../src/common/app-secrets';

const event = {
  id: 'e1',
  practiceId: 'pr1',
  seq: 5,
  action: 'portal.reset',
  actorType: 'staff',
  actorId: 's1',
  actorName: 'Dana Desk',
  patientId: 'p1',
  reason: 'forgot_password',
  details: '{"note":null}',
  ip: '127.0.0.1',
  userAgent: 'test',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  prevHash: 'a'.repeat(64),
} as unknown as Omit<AuditEvent, 'hash'>;

const keysFor = (appSecret: string) => new AuditChainKeys(new AppSecrets({ appSecret }));

describe('audit event hashes', () => {
  it('plain: a SHA-256 of the content and the previous hash, the same every time', () => {
    assert.match(plainAuditEventHash(event), /^[0-9a-f]{64}$/);
    assert.equal(plainAuditEventHash({ ...event }), plainAuditEventHash(event));
  });

  it('plain: changes with any field, the previous hash included', () => {
    const base = plainAuditEventHash(event);
    assert.notEqual(plainAuditEventHash({ ...event, prevHash: 'b'.repeat(64) }), base);
    assert.notEqual(plainAuditEventHash({ ...event, reason: 'other' }), base);
    assert.notEqual(plainAuditEventHash({ ...event, details: '{"note":"x"}' }), base);
  });

  it('keyed: depends on APP_SECRET, so a database writer without it cannot recompute one', () => {
    const secret = 'k'.repeat(40);
    assert.equal(keysFor(secret).keyedHash(event), keysFor(secret).keyedHash(event));
    assert.notEqual(keysFor('j'.repeat(40)).keyedHash(event), keysFor(secret).keyedHash(event));
    assert.notEqual(keysFor(secret).keyedHash(event), plainAuditEventHash(event));
  });

  it('a chain is plain before the seq it was keyed from, keyed from it on', () => {
    const keys = keysFor('k'.repeat(40));
    assert.equal(keys.hashFor(event, 6), plainAuditEventHash(event));
    assert.equal(keys.hashFor(event, 5), keys.keyedHash(event));
  });
});
