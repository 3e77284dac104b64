import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { StaffRole } from '@resetdesk/contracts';
import { seedId } from '../../src/seed/demo-seed';

export const MAPLE_GROVE_ID = seedId('practice', 'maple-grove');
export const RIVERSIDE_ID = seedId('practice', 'riverside');

export interface AddedStaffUser {
  id: string;
  email: string;
  name: string;
  practiceId: string;
}

/**
 * Another staff user in a seeded database, for tests that throttle, deactivate or otherwise use
 * up an account without touching the demo logins other tests sign in with. The password hash is
 * copied from a demo login, so the demo password works and no extra argon2 run is spent.
 */
export async function addStaffUser(
  dataSource: DataSource,
  options: { email: string; practiceId?: string; role?: StaffRole; active?: boolean; name?: string },
): Promise<AddedStaffUser> {
  const [donor] = await dataSource.query('SELECT passwordHash FROM staff_users WHERE email = ?', ['desk@maplegrove.test']);
  if (!donor) throw new Error('addStaffUser needs a seeded database (startTestApp({ seedPatients }))');
  const now = new Date();
  const user = {
    id: randomUUID(),
    practiceId: options.practiceId ?? MAPLE_GROVE_ID,
    email: options.email.toLowerCase(),
    name: options.name ?? `Test ${options.email.split('@')[0]}`,
  };
  await dataSource.query(
    'INSERT INTO staff_users (id, practiceId, email, name, role, passwordHash, active, lastLoginAt, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)',
    [user.id, user.practiceId, user.email, user.name, options.role ?? 'front_desk', donor.passwordHash, options.active === false ? 0 : 1, now, now],
  );
  return user;
}

/** The cookie value of rd_session from a StaffClient's cookie list. */
export function sessionTokenOf(cookies: readonly string[]): string {
  const cookie = cookies.find((c) => c.startsWith('rd_session='));
  if (!cookie) throw new Error('No rd_session cookie');
  return decodeURIComponent(cookie.slice('rd_session='.length));
}

/** staff_sessions keeps only the SHA-256 of the cookie token: this finds the row of a cookie. */
export function sessionTokenHash(cookies: readonly string[]): string {
  return createHash('sha256').update(sessionTokenOf(cookies)).digest('hex');
}
