import { Inject, Injectable } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { newLinkToken, sha256Hex } from '../common/secrets';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { PortalSession } from '../portal-accounts/portal-session.entity';
import { PortalSessionsRepository } from '../portal-accounts/portal-sessions.repository';

export const PORTAL_SESSION_COOKIE = 'rd_portal';
/** Writing lastSeenAt on every page view would turn reads into writes; once a minute is plenty. */
const TOUCH_INTERVAL_MS = 60_000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface SignedInPatient {
  session: PortalSession;
  account: PortalAccount;
}

/**
 * Patient portal sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie, and
 * only its SHA-256 in `portal_sessions`, so the table cannot be replayed. A session counts only
 * while its row is unrevoked and unexpired (idle and absolute limits as for staff) and its
 * account is active: a staff reset, a self-service password change or a lock ends it at once.
 */
@Injectable()
export class PatientSessions {
  constructor(
    private readonly uow: UnitOfWork,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Inserts a session for the account in the caller's transaction; the token goes only to the cookie. */
  async start(manager: EntityManager, account: PortalAccount): Promise<{ token: string; session: PortalSession }> {
    const token = newLinkToken();
    const now = new Date();
    const session: PortalSession = {
      id: randomUUID(),
      tokenHash: sha256Hex(token),
      practiceId: account.practiceId,
      portalAccountId: account.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + this.config.session.absoluteHours * 3_600_000),
      revokedAt: null,
    };
    await PortalSessionsRepository.on(manager).insert(session);
    return { token, session };
  }

  /** The live session this browser's cookie names, with its active account; null otherwise. */
  async current(request: Request): Promise<SignedInPatient | null> {
    const token: unknown = request.cookies?.[PORTAL_SESSION_COOKIE];
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return null;
    const manager = this.uow.dataSource.manager;
    const sessions = PortalSessionsRepository.on(manager);
    const session = await sessions.findLive(sha256Hex(token));
    if (!session) return null;
    const now = Date.now();
    const lastSeenAt = new Date(session.lastSeenAt).getTime();
    if (new Date(session.expiresAt).getTime() <= now || lastSeenAt + this.config.session.idleMinutes * 60_000 <= now) return null;
    const account = await manager.findOneBy(PortalAccount, { id: session.portalAccountId, practiceId: session.practiceId });
    if (!account || account.status !== 'active') return null;
    if (now - lastSeenAt > TOUCH_INTERVAL_MS) await sessions.touch(session.id, new Date(now));
    return { session, account };
  }

  async end(manager: EntityManager, sessionId: string): Promise<void> {
    await PortalSessionsRepository.on(manager).end(sessionId, new Date());
  }

  /** Ends every live session of the account (after its password changed); answers how many. */
  endAll(manager: EntityManager, portalAccountId: string): Promise<number> {
    return PortalSessionsRepository.on(manager).endAllOfAccount(portalAccountId, new Date());
  }

  setCookie(request: Request, response: Response, token: string): void {
    response.cookie(PORTAL_SESSION_COOKIE, token, cookieOptions(request));
  }

  clearCookie(request: Request, response: Response): void {
    response.clearCookie(PORTAL_SESSION_COOKIE, cookieOptions(request));
  }
}

function cookieOptions(request: Request): CookieOptions {
  return { httpOnly: true, sameSite: 'strict', secure: request.secure, path: '/' };
}
