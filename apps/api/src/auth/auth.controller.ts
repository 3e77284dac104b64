import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { MfaRequiredView, StaffUserView } from '@resetdesk/contracts';
import { PendingSignIns } from '../staff-identity/pending-sign-ins';
import { RequestContext, StaffPrincipal } from '../common/request-context';
import { Public } from './auth.decorators';
import { LoginDto } from './login.dto';
import { clearSessionCookies, setSessionCookies } from './session-cookies';
import { StaffAuthService } from './staff-auth.service';

function view(principal: StaffPrincipal): StaffUserView {
  const { sessionId: _sessionId, ...rest } = principal;
  return rest;
}

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: StaffAuthService,
    private readonly pendingSignIns: PendingSignIns,
  ) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Sign in; sets the rd_session and rd_csrf cookies, or answers {mfaRequired, methods} with only a pending sign-in when a second step is due',
  })
  async login(@Body() body: LoginDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<StaffUserView | MfaRequiredView> {
    const outcome = await this.auth.login(body.email, body.password, request.ip ?? 'unknown', request.header('user-agent') ?? null);
    if (outcome.pending) {
      // No session until the second step: only the pending sign-in's cookie.
      clearSessionCookies(request, response);
      this.pendingSignIns.setCookies(request, response, outcome.pending);
      return { mfaRequired: true, methods: outcome.pending.methods, enrolmentRequired: outcome.pending.enrolmentRequired };
    }
    setSessionCookies(request, response, outcome.session.token, outcome.session.csrfToken);
    return view(outcome.session.principal);
  }

  @Get('me')
  @ApiOperation({ summary: 'The signed-in staff user' })
  me(): StaffUserView {
    return view(RequestContext.staff());
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'End this session' })
  async logout(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.auth.logout(RequestContext.staff());
    clearSessionCookies(request, response);
  }
}
