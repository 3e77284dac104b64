import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { clearSessionCookies, setSessionCookies } from '../auth/session-cookies';
import { PendingSignIns } from './pending-sign-ins';
import { SSO_COOKIE, SSO_COOKIE_TTL_MS, SsoFailure, StaffSsoService } from './staff-sso.service';

const COOKIE_PATH = '/api/auth/sso';

@ApiTags('auth')
@Controller('api/auth/sso')
export class StaffSsoController {
  constructor(
    private readonly sso: StaffSsoService,
    private readonly pendingSignIns: PendingSignIns,
  ) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Whether staff may sign in with single sign-on' })
  status(): { enabled: boolean } {
    return { enabled: this.sso.enabled };
  }

  @Public()
  @Get('start')
  @ApiOperation({ summary: "Redirects to the clinic's identity provider" })
  async start(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.sso.enabled) return response.redirect(302, '/#/login?sso_error=not_configured');
    try {
      const { url, cookie } = await this.sso.start();
      // Lax, not strict: the identity provider's redirect back is a cross-site navigation.
      response.cookie(SSO_COOKIE, cookie, { httpOnly: true, sameSite: 'lax', secure: request.secure, path: COOKIE_PATH, maxAge: SSO_COOKIE_TTL_MS });
      response.redirect(302, url);
    } catch {
      response.redirect(302, '/#/login?sso_error=idp_error');
    }
  }

  @Public()
  @Get('callback')
  @ApiOperation({ summary: "The identity provider's answer: a session, the second step, or back to sign-in with the reason" })
  async callback(@Req() request: Request, @Res() response: Response): Promise<void> {
    const cookie: string | undefined = request.cookies?.[SSO_COOKIE];
    // One use only, whatever the outcome.
    response.clearCookie(SSO_COOKIE, { httpOnly: true, sameSite: 'lax', secure: request.secure, path: COOKIE_PATH });
    try {
      const outcome = await this.sso.callback(
        new URL(request.originalUrl, 'http://callback.invalid'),
        cookie,
        request.ip ?? 'unknown',
        request.header('user-agent') ?? null,
      );
      if (outcome.pending) {
        clearSessionCookies(request, response);
        this.pendingSignIns.setCookies(request, response, outcome.pending);
        const methods = outcome.pending.methods.join(',');
        return response.redirect(302, `/#/login?sso_mfa=1&methods=${encodeURIComponent(methods)}&enrolment=${outcome.pending.enrolmentRequired ? 1 : 0}`);
      }
      setSessionCookies(request, response, outcome.session.token, outcome.session.csrfToken);
      response.redirect(302, '/');
    } catch (error) {
      const reason = error instanceof SsoFailure ? error.reason : 'idp_error';
      response.redirect(302, `/#/login?sso_error=${reason}`);
    }
  }
}
