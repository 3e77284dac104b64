import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { generate } from 'otplib';
import request from 'supertest';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';
import { StaffClient } from '../support/staff-client';

export type Row = Record<string, any>;

/** The cookies of one answer as `name=value` pairs. */
export function cookiesOf(response: { headers: Record<string, unknown> }): string[] {
  return ([] as string[]).concat((response.headers['set-cookie'] as string[] | undefined) ?? []).map((c) => c.split(';')[0]!);
}

/**
 * A browser between the password and the second step: it holds only the pending sign-in's
 * cookie and the CSRF token that goes with it.
 */
export class PendingClient {
  constructor(
    readonly server: Server,
    readonly cookies: string[],
    readonly csrfToken: string,
    readonly body: { mfaRequired: boolean; methods: string[]; enrolmentRequired: boolean },
  ) {}

  static async signIn(server: Server, email: string, password = DEMO_PASSWORD): Promise<PendingClient> {
    const response = await request(server).post('/api/auth/login').send({ email, password });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.mfaRequired, true, `expected a second step for ${email}: ${JSON.stringify(response.body)}`);
    const cookies = cookiesOf(response).filter((c) => !/=$/.test(c));
    assert.ok(!cookies.some((c) => c.startsWith('rd_session=')), 'no session before the second step');
    const csrf = cookies.find((c) => c.startsWith('rd_csrf='))!.slice('rd_csrf='.length);
    return new PendingClient(server, cookies, csrf, response.body);
  }

  get(path: string) {
    return request(this.server).get(path).set('Cookie', this.cookies.join('; '));
  }

  post(path: string, body?: object) {
    const req = request(this.server).post(path).set('Cookie', this.cookies.join('; ')).set('X-CSRF-Token', this.csrfToken);
    return body === undefined ? req : req.send(body);
  }

  /** The signed-in client the completing answer's cookies make. */
  static sessionFrom(server: Server, response: { headers: Record<string, unknown> }): StaffClient {
    const cookies = cookiesOf(response).filter((c) => c.startsWith('rd_session=') || c.startsWith('rd_csrf='));
    const csrf = cookies.find((c) => c.startsWith('rd_csrf='))!.slice('rd_csrf='.length);
    return new StaffClient(server, cookies, csrf);
  }
}

/** The base32 secret of an otpauth:// URL. */
export function secretOf(otpauthUrl: string): string {
  return new URL(otpauthUrl).searchParams.get('secret')!;
}

/** The code of the time step `offset` steps from now, as an authenticator app a little fast or slow shows it. */
export function totpCode(secret: string, offset = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(Date.now() / 1000) + offset * 30 });
}
