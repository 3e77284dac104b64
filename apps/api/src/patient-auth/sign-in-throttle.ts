import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { EntityManager, LessThan, MoreThan } from 'typeorm';
import { AppSecrets } from '../common/app-secrets';
import { DomainException } from '../common/domain.exception';
import { UnitOfWork } from '../database/unit-of-work';
import { normaliseUsername } from '../portal-accounts/username';
import { SignInFailure } from './sign-in-failure.entity';

/** Failed sign-ins allowed per client address, and per username, in a window; the next is refused. */
export const SIGN_IN_FAILURE_LIMIT = 30;
export const SIGN_IN_WINDOW_MINUTES = 60;

export const THROTTLED_MESSAGE = (minutes: number) =>
  `Too many failed sign-ins from your network. Please wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again, or use "Forgot your password?".`;

/**
 * Patient sign-in throttling (NIST SP 800-63B-4 §3.2.2), shared by every way a patient signs
 * in (/login and the OpenID Provider's interaction): at most SIGN_IN_FAILURE_LIMIT failures an
 * hour from one client address (password spraying over many usernames) and against one username
 * (guessing from many addresses), kept in the database so it holds across API processes. Call
 * `assertAllowed` before checking a password and `recordFailure` after a wrong one.
 */
@Injectable()
export class SignInThrottle {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly secrets: AppSecrets,
  ) {}

  /** Throws `rate_limited` (429, Retry-After) when the address or the username is over the limit. */
  async assertAllowed(clientAddress: string | null | undefined, username: string): Promise<void> {
    const retryAfter = await this.retryAfterSeconds(this.subjects(clientAddress, username));
    if (retryAfter !== null) {
      throw new DomainException('rate_limited', THROTTLED_MESSAGE(Math.max(1, Math.ceil(retryAfter / 60))), undefined, retryAfter);
    }
  }

  /** Counts one failure against the address and the username; in the caller's transaction when given. */
  async recordFailure(clientAddress: string | null | undefined, username: string, manager?: EntityManager): Promise<void> {
    const now = new Date();
    const rows = this.subjects(clientAddress, username).map((subjectKey) => ({ id: randomUUID(), subjectKey, createdAt: now }));
    const write = async (m: EntityManager) => {
      await m.insert(SignInFailure, rows);
      // Old rows say nothing any more: keep the table the size of one window.
      await m.delete(SignInFailure, { subjectKey: rows[0]!.subjectKey, createdAt: LessThan(new Date(now.getTime() - SIGN_IN_WINDOW_MINUTES * 60_000)) });
    };
    if (manager) await write(manager);
    else await this.uow.run(write);
  }

  /** Seconds until the oldest failure that keeps a subject at the limit leaves the window; null when none is. */
  private async retryAfterSeconds(subjectKeys: string[]): Promise<number | null> {
    const windowMs = SIGN_IN_WINDOW_MINUTES * 60_000;
    const since = new Date(Date.now() - windowMs);
    const repo = this.uow.dataSource.getRepository(SignInFailure);
    let wait: number | null = null;
    for (const subjectKey of subjectKeys) {
      // The newest LIMIT failures: if there are that many, the oldest of them sets the wait.
      const recent = await repo.find({
        select: { createdAt: true },
        where: { subjectKey, createdAt: MoreThan(since) },
        order: { createdAt: 'DESC' },
        take: SIGN_IN_FAILURE_LIMIT,
      });
      if (recent.length < SIGN_IN_FAILURE_LIMIT) continue;
      const seconds = Math.max(1, Math.ceil((recent[recent.length - 1]!.createdAt.getTime() + windowMs - Date.now()) / 1000));
      wait = Math.max(wait ?? 0, seconds);
    }
    return wait;
  }

  private subjects(clientAddress: string | null | undefined, username: string): string[] {
    const keys = [this.secrets.hmacHex('sign-in-throttle', `address:${addressBlock(clientAddress)}`)];
    const name = username.trim();
    if (name) keys.push(this.secrets.hmacHex('sign-in-throttle', `username:${normaliseUsername(name)}`));
    return keys;
  }
}

/**
 * The unit one client controls: an IPv4 address, or the /64 an IPv6 host gets (it can pick any
 * address inside it). IPv4-mapped IPv6 is read as IPv4.
 */
export function addressBlock(address: string | null | undefined): string {
  const raw = (address ?? '').trim();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(raw);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(raw)) return raw;
  if (isIPv6(raw)) {
    const [head = '', tail = ''] = raw.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = raw.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
    return (
      groups
        .slice(0, 4)
        .map((g) => parseInt(g || '0', 16).toString(16))
        .join(':') + '::/64'
    );
  }
  return raw || 'unknown';
}
