import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stableMessageId } from '../../src/mail/message-id';

describe('Message-ID of an outbox message', () => {
  const id = '6f1c2d3e-0000-4000-8000-000000000001';

  it('is the outbox id at the host of PUBLIC_URL, the same on every attempt', () => {
    assert.equal(stableMessageId(id, 'https://portal.example.org'), `<${id}@portal.example.org>`);
    assert.equal(stableMessageId(id, 'https://portal.example.org'), stableMessageId(id, 'https://portal.example.org'));
  });

  it('ignores the port and path of PUBLIC_URL', () => {
    assert.equal(stableMessageId(id, 'http://localhost:3000/clinic'), `<${id}@localhost>`);
  });

  it('stays well-formed when PUBLIC_URL is not a URL', () => {
    assert.equal(stableMessageId(id, 'not a url'), `<${id}@resetdesk.invalid>`);
  });
});
