import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RETRY_BASE_MS, RETRY_CAP_MS, RETRY_JITTER, retryDelayMs } from '../../src/outbox/retry-backoff';

describe('outbox retry backoff', () => {
  const middle = () => 0.5;

  it('waits about 30 s after the first failure, then doubles', () => {
    assert.equal(retryDelayMs(1, middle), RETRY_BASE_MS);
    assert.equal(retryDelayMs(2, middle), 2 * RETRY_BASE_MS);
    assert.equal(retryDelayMs(3, middle), 4 * RETRY_BASE_MS);
    assert.equal(retryDelayMs(6, middle), 32 * RETRY_BASE_MS);
  });

  it('never waits more than an hour, whatever the attempt count or the jitter', () => {
    assert.equal(retryDelayMs(7, middle), 64 * RETRY_BASE_MS);
    assert.equal(retryDelayMs(8, middle), RETRY_CAP_MS);
    assert.equal(
      retryDelayMs(50, () => 0.999),
      RETRY_CAP_MS,
    );
  });

  it('spreads retries by ±20 % so messages that failed together do not return together', () => {
    assert.equal(
      retryDelayMs(1, () => 0),
      Math.round(RETRY_BASE_MS * (1 - RETRY_JITTER)),
    );
    assert.equal(
      retryDelayMs(1, () => 1),
      Math.round(RETRY_BASE_MS * (1 + RETRY_JITTER)),
    );
  });

  it('treats a zero attempt count like the first', () => {
    assert.equal(retryDelayMs(0, middle), RETRY_BASE_MS);
  });
});
