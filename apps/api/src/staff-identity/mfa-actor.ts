import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { StaffAuthService } from '../auth/staff-auth.service';
import { SESSION_COOKIE } from '../auth/session-cookies';
import { DomainException } from '../common/domain.exception';
import { RequestContext } from '../common/request-context';
import { PENDING_COOKIE, PendingSignIns } from './pending-sign-ins';
import { StaffMfaChallenge } from './staff-mfa-challenge.entity';
import { StaffMfaRepository } from './staff-mfa.repository';
import type { MfaActor } from './staff-mfa.service';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The second-step and enrolment routes are open to two kinds of caller: a signed-in user
 * managing their own factors, and a pending sign-in (which the global guard, rightly, does not
 * accept anywhere). This is the one place that tells them apart, with the same CSRF rule.
 */
@Injectable()
export class MfaActors {
  constructor(
    private readonly auth: StaffAuthService,
    private readonly pending: PendingSignIns,
    private readonly repository: StaffMfaRepository,
  ) {}

  /** A signed-in user, or a pending sign-in when `pendingAllowed`; anything else is a 401. */
  async resolve(request: Request, options: { pendingAllowed: boolean }): Promise<MfaActor> {
    const sessionToken: string | undefined = request.cookies?.[SESSION_COOKIE];
    const session = sessionToken ? await this.auth.authenticate(sessionToken) : null;
    if (session && 'principal' in session) {
      if (!SAFE_METHODS.has(request.method) && !this.auth.csrfMatches(sessionToken!, request.header('x-csrf-token'))) {
        throw new DomainException('csrf', 'This request is missing a valid X-CSRF-Token header. Reload the page and try again.');
      }
      const store = RequestContext.current();
      if (store) store.staff = session.principal;
      return this.actorFor(request, session.principal.id, null);
    }
    if (!options.pendingAllowed) throw new DomainException('unauthenticated', 'Please sign in.');
    return this.pendingActor(request);
  }

  async pendingActor(request: Request): Promise<MfaActor & { challenge: StaffMfaChallenge }> {
    const challenge = await this.pending.fromRequest(request);
    return (await this.actorFor(request, challenge.staffUserId, challenge)) as MfaActor & { challenge: StaffMfaChallenge };
  }

  private async actorFor(request: Request, staffUserId: string, challenge: StaffMfaChallenge | null): Promise<MfaActor> {
    const found = await this.repository.userWithPractice(staffUserId);
    // Deactivated since the first step: the pending sign-in is worth nothing.
    if (!found || !found.user.active) throw new DomainException('unauthenticated', 'Please sign in.');
    return { ...found, challenge, ip: request.ip ?? 'unknown', userAgent: request.header('user-agent') ?? null };
  }
}

/**
 * Runs before body validation on the routes above, so a caller with neither a session nor a
 * pending sign-in gets the 401 every other route gives, not a 422 about the body.
 */
@Injectable()
export class MfaCallerPresent implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    if (request.cookies?.[SESSION_COOKIE] || request.cookies?.[PENDING_COOKIE]) return true;
    throw new DomainException('unauthenticated', 'Please sign in.');
  }
}
