import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';

describe('Permissions-Policy header', { skip: mysqlSkip }, () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ label: 'hpermpolicy' });
  });
  after(async () => t?.close());

  it('turns off camera, microphone, geolocation and payment on the API, the patient pages and errors', async () => {
    for (const path of ['/api/health', '/login', '/api/nope', '/api/auth/me']) {
      const response = await request(t.server).get(path);
      const policy = String(response.headers['permissions-policy'] ?? '');
      for (const feature of ['camera=()', 'microphone=()', 'geolocation=()', 'payment=()']) assert.ok(policy.includes(feature), `${path}: ${policy}`);
    }
  });
});
