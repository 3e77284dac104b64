import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { iso, maskEmail, maskPhone } from '../../src/common/masking';

describe('masking for audit details and staff screens', () => {
  it('keeps an email’s first letter and its domain', () => {
    assert.equal(maskEmail('alice@example.com'), 'a***@example.com');
    assert.equal(maskEmail('a.b@c@example.org'), 'a***@example.org', 'the last @ starts the domain');
  });

  it('hides an address without a local part entirely, and answers empty for none', () => {
    assert.equal(maskEmail('@example.com'), '***');
    assert.equal(maskEmail('no-at-sign'), '***');
    assert.equal(maskEmail(null), '');
    assert.equal(maskEmail(''), '');
  });

  it('keeps a phone number’s last four digits only', () => {
    assert.equal(maskPhone('+15035550123'), '***-***-0123');
    assert.equal(maskPhone('(503) 555-0199'), '***-***-0199');
    assert.equal(maskPhone(undefined), '');
  });

  it('writes dates as ISO strings and keeps null', () => {
    assert.equal(iso(new Date('2026-01-02T03:04:05Z')), '2026-01-02T03:04:05.000Z');
    assert.equal(iso(null), null);
  });
});
