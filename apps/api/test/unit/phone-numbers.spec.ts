import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatPhoneForDisplay } from '../../src/mail/formatting';
import { displayPhone, phoneDigits, phoneMatchesChart, phoneProblem } from '../../src/patient-pages/patient-form';

describe('phone numbers', () => {
  it('normalises to digits, giving ten North American digits their country code', () => {
    assert.equal(phoneDigits('(503) 555-0123'), '15035550123');
    assert.equal(phoneDigits('503.555.0123'), '15035550123');
    assert.equal(phoneDigits('+1 503 555 0123'), '15035550123');
    assert.equal(phoneDigits('+44 20 7946 0958'), '442079460958');
    assert.equal(phoneDigits(null), '');
  });

  it('matches a typed number against the chart in any spelling, and nothing against a chart without one', () => {
    const chart = { phone: '+15035550123', phoneDigits: '15035550123' };
    assert.equal(phoneMatchesChart(chart, '503-555-0123'), true);
    assert.equal(phoneMatchesChart(chart, '+1 (503) 555 0123'), true);
    assert.equal(phoneMatchesChart(chart, '503-555-0124'), false);
    assert.equal(phoneMatchesChart({ phone: null, phoneDigits: null }, ''), false);
  });

  it('asks for digits when the typed value cannot be a phone number', () => {
    assert.match(phoneProblem('') ?? '', /Enter the phone number/);
    assert.match(phoneProblem('call me') ?? '', /using digits/);
    assert.match(phoneProblem('555-01') ?? '', /using digits/);
    assert.equal(phoneProblem('503-555-0123'), null);
  });

  it('shows North American numbers as (503) 555-0123 and others as stored, in pages and in messages alike', () => {
    for (const show of [displayPhone, formatPhoneForDisplay]) {
      assert.equal(show('+15035550123'), '(503) 555-0123');
      assert.equal(show('+442079460958'), '+442079460958');
    }
    assert.equal(displayPhone(null), '');
  });
});
