import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { StaffRole } from '@resetdesk/contracts';
import { DomainException } from '../common/domain.exception';
import { RequestContext } from '../common/request-context';
import { PUBLIC_ROUTE, REQUIRED_ROLES } from './auth.decorators';
import { SESSION_COOKIE } from './session-cookies';
import { StaffAuthService } from './staff-auth.service';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The single gate for the staff API: a live session, the CSRF header on every write, and the
 * role a route asks for. It puts the staff user in the request context, which is what scopes
 * every query to the user's practice.
 */
@Injectable()
export class SessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(StaffAuthService) private readonly auth: StaffAuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<Request>();
    const token: string | undefined = request.cookies?.[SESSION_COOKIE];
    const result = await this.auth.authenticate(token);
    if (!result) throw new DomainException('unauthenticated', 'Please sign in.');
    if ('expired' in result) throw new DomainException('unauthenticated', 'Your session has expired. Please sign in again.');

    if (!SAFE_METHODS.has(request.method) && !this.auth.csrfMatches(token!, request.header('x-csrf-token'))) {
      throw new DomainException('csrf', 'This request is missing a valid X-CSRF-Token header. Reload the page and try again.');
    }

    const store = RequestContext.current();
    if (store) store.staff = result.principal;

    const roles = this.reflector.getAllAndOverride<StaffRole[] | undefined>(REQUIRED_ROLES, targets);
    if (roles && !roles.includes(result.principal.role)) {
      throw new DomainException('forbidden', 'Only practice admins can open this. Ask your practice admin if you need access.');
    }
    return true;
  }
}
