import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { StaffMfaStatusView, StaffUserView, TotpEnrolmentView } from '@resetdesk/contracts';
import { Public, Roles } from '../auth/auth.decorators';
import { clearSessionCookies, setSessionCookies } from '../auth/session-cookies';
import { IssuedSession } from '../auth/staff-auth.service';
import { MfaActors, MfaCallerPresent } from './mfa-actor';
import { PendingSignIns } from './pending-sign-ins';
import { MfaCodeDto } from './staff-mfa.dto';
import { StaffMfaService } from './staff-mfa.service';

export function staffView(session: IssuedSession): StaffUserView {
  const { sessionId: _sessionId, ...rest } = session.principal;
  return rest;
}

/**
 * The second step of a staff sign-in and a person's own factors. These routes are public to
 * the global guard because a pending sign-in has no session yet; MfaActors checks the caller.
 */
@ApiTags('auth')
@UseGuards(MfaCallerPresent)
@Controller('api/auth/mfa')
export class StaffMfaController {
  constructor(
    private readonly actors: MfaActors,
    private readonly mfa: StaffMfaService,
    private readonly pending: PendingSignIns,
  ) {}

  /** Swaps the pending sign-in's cookie for the session's. */
  private open(request: Request, response: Response, session: IssuedSession): StaffUserView {
    this.pending.clearCookie(request, response);
    setSessionCookies(request, response, session.token, session.csrfToken);
    return staffView(session);
  }

  @Public()
  @Get()
  @ApiOperation({ summary: "The signed-in user's second factors and recovery codes left" })
  async status(@Req() request: Request): Promise<StaffMfaStatusView> {
    const actor = await this.actors.resolve(request, { pendingAllowed: false });
    return this.mfa.status(actor.user, actor.practice);
  }

  @Public()
  @Post('totp/enroll')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start setting up an authenticator app: {otpauthUrl, qrSvg, secret} (signed in, or a pending sign-in that must enrol)' })
  async enrolTotp(@Req() request: Request): Promise<TotpEnrolmentView> {
    return this.mfa.enrolTotp(await this.actors.resolve(request, { pendingAllowed: true }));
  }

  @Public()
  @Post('totp/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm the app with its first code: {recoveryCodes} (10, shown once); completes a pending sign-in' })
  async confirmTotp(
    @Body() body: MfaCodeDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<{ recoveryCodes: string[]; user?: StaffUserView }> {
    const actor = await this.actors.resolve(request, { pendingAllowed: true });
    const { recoveryCodes, session } = await this.mfa.confirmTotp(actor, body.code);
    if (!session) return { recoveryCodes };
    return { recoveryCodes, user: this.open(request, response, session) };
  }

  @Public()
  @Post('totp')
  @HttpCode(200)
  @ApiOperation({ summary: 'Second step with a code from the authenticator app; opens the session' })
  async totp(@Body() body: MfaCodeDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<StaffUserView> {
    const session = await this.mfa.signInWithTotp(await this.actors.pendingActor(request), body.code);
    return this.open(request, response, session);
  }

  @Public()
  @Post('recovery-code')
  @HttpCode(200)
  @ApiOperation({ summary: 'Second step with a single-use recovery code; opens the session' })
  async recoveryCode(@Body() body: MfaCodeDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<StaffUserView> {
    const session = await this.mfa.signInWithRecoveryCode(await this.actors.pendingActor(request), body.code);
    return this.open(request, response, session);
  }

  @Public()
  @Post('recovery-codes')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replace your recovery codes with 10 new ones (shown once)' })
  async regenerate(@Req() request: Request): Promise<{ recoveryCodes: string[] }> {
    const actor = await this.actors.resolve(request, { pendingAllowed: false });
    return { recoveryCodes: await this.mfa.regenerateRecoveryCodes(actor.user) };
  }

  @Public()
  @Post('cancel')
  @HttpCode(204)
  @ApiOperation({ summary: 'Abandon a pending sign-in' })
  async cancel(@Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<void> {
    await this.mfa.cancel(await this.actors.pendingActor(request));
    this.pending.clearCookie(request, response);
    clearSessionCookies(request, response);
  }
}

@ApiTags('staff')
@Roles('practice_admin')
@Controller('api/staff')
export class StaffMfaAdminController {
  constructor(private readonly mfa: StaffMfaService) {}

  @Post(':id/mfa/reset')
  @HttpCode(200)
  @ApiOperation({ summary: "Reset another staff member's two-step sign-in (factors, recovery codes, sessions); your own id answers 403" })
  async reset(@Param('id') id: string): Promise<{ reset: true }> {
    await this.mfa.resetFor(id);
    return { reset: true };
  }
}
