import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { StaffUserView } from '@resetdesk/contracts';
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
  constructor(private readonly auth: StaffAuthService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Sign in; sets the rd_session and rd_csrf cookies' })
  async login(@Body() body: LoginDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<StaffUserView> {
    const session = await this.auth.login(body.email, body.password, request.ip ?? 'unknown', request.header('user-agent') ?? null);
    setSessionCookies(request, response, session.token, session.csrfToken);
    return view(session.principal);
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
