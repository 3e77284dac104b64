import assert from 'node:assert/strict';
import { STATUS_CODES } from 'node:http';

interface ResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text?: string;
}

/** Traces look like "at Foo (/path/file.js:12:34)" or carry a "stack" key; neither may reach a client. */
export function assertNoStackTrace(text: string | undefined): void {
  const body = text ?? '';
  assert.doesNotMatch(body, /"stack"\s*:/, 'a response body carries a stack property');
  assert.doesNotMatch(body, /(^|\\n|\n)\s*at\s+\S+/, 'a response body carries a stack trace line');
  assert.doesNotMatch(body, /\.(js|ts):\d+:\d+/, 'a response body names a source file and line');
}

/**
 * The one error body of the API (product spec section 3): {statusCode, error, message}, plus
 * `errors` only on 422 validation failures and `requestId` only on 500s.
 */
export function assertApiError(response: ResponseLike, status: number, message?: string | RegExp): void {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${JSON.stringify(response.body)}`);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = response.body;
  const expectedKeys = ['code', 'error', 'message', 'statusCode'];
  if (status === 422) expectedKeys.push('errors');
  if (status === 500) expectedKeys.push('requestId');
  assert.deepEqual(Object.keys(body).sort(), expectedKeys.sort(), `error body keys: ${JSON.stringify(body)}`);
  assert.equal(body.statusCode, status);
  assert.equal(body.error, STATUS_CODES[status]);
  assert.equal(typeof body.message, 'string');
  assert.match(String(body.code), /^[a-z_]+$/, 'the error carries a machine-readable code');
  assert.ok(body.message.length > 0, 'the message is empty');
  if (typeof message === 'string') assert.equal(body.message, message);
  else if (message) assert.match(body.message, message);
  assertNoStackTrace(response.text ?? JSON.stringify(body));
}
