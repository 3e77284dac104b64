import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeDeliveryError } from '../../src/mail/delivery-error';

describe('delivery error text', () => {
  it('is the error message on one line', () => {
    assert.equal(describeDeliveryError(new Error('Greeting never received\n  at line 2')), 'Greeting never received at line 2');
  });

  it('adds the error code and the code hidden in fetch()’s cause', () => {
    const fetchFailed = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    assert.equal(describeDeliveryError(fetchFailed), 'fetch failed (ECONNREFUSED)');
    const smtp = Object.assign(new Error('Connection timeout'), { code: 'ETIMEDOUT' });
    assert.equal(describeDeliveryError(smtp), 'ETIMEDOUT: Connection timeout');
  });

  it('redacts the secrets it is given, link tokens in paths and passwords in URLs', () => {
    const text = describeDeliveryError(
      new Error('rejected code 01234 for https://portal.test/register/abcDEF123 via smtp://user:hunter2@mail.test and /reset-password/xyz'),
      ['01234', null],
    );
    assert.equal(text, 'rejected code [redacted] for https://portal.test/register/[redacted] via smtp://user:***@mail.test and /reset-password/[redacted]');
  });

  it('is never empty and never longer than asked', () => {
    assert.equal(describeDeliveryError(new Error('   ')), 'Unknown delivery error');
    const long = describeDeliveryError(new Error('x'.repeat(900)), [], 100);
    assert.equal(long.length, 100);
    assert.ok(long.endsWith('…'));
  });

  it('describes values that are not errors', () => {
    assert.equal(describeDeliveryError('plain string'), 'plain string');
    assert.equal(describeDeliveryError({ message: 'from an object' }), 'from an object');
  });
});
