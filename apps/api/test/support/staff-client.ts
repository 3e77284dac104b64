import request from 'supertest';
import type { Server } from 'node:http';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';

/**
 * A signed-in staff browser: keeps the session cookie and sends the CSRF header on writes,
 * like the console does.
 */
export class StaffClient {
  constructor(
    readonly server: Server,
    readonly cookies: string[],
    readonly csrfToken: string,
  ) {}

  static async signIn(server: Server, email: string, password = DEMO_PASSWORD): Promise<StaffClient> {
    const response = await request(server).post('/api/auth/login').send({ email, password });
    if (response.status !== 200) throw new Error(`Sign-in of ${email} failed: ${response.status} ${JSON.stringify(response.body)}`);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const cookies = setCookie.map((c) => c.split(';')[0]!);
    const csrf = cookies.find((c) => c.startsWith('rd_csrf='))!.slice('rd_csrf='.length);
    return new StaffClient(server, cookies, csrf);
  }

  get(path: string) {
    return request(this.server).get(path).set('Cookie', this.cookies.join('; '));
  }

  post(path: string, body?: object) {
    const req = request(this.server).post(path).set('Cookie', this.cookies.join('; ')).set('X-CSRF-Token', this.csrfToken);
    return body === undefined ? req : req.send(body);
  }

  put(path: string, body?: object) {
    const req = request(this.server).put(path).set('Cookie', this.cookies.join('; ')).set('X-CSRF-Token', this.csrfToken);
    return body === undefined ? req : req.send(body);
  }

  delete(path: string) {
    return request(this.server).delete(path).set('Cookie', this.cookies.join('; ')).set('X-CSRF-Token', this.csrfToken);
  }

  /** A write without the CSRF header, as a cross-site form would send it. */
  postWithoutCsrf(path: string, body?: object) {
    const req = request(this.server).post(path).set('Cookie', this.cookies.join('; '));
    return body === undefined ? req : req.send(body);
  }
}

export const MAPLE_DESK = 'desk@maplegrove.test';
export const MAPLE_ADMIN = 'admin@maplegrove.test';
export const RIVERSIDE_DESK = 'desk@riverside.test';
export const RIVERSIDE_ADMIN = 'admin@riverside.test';
