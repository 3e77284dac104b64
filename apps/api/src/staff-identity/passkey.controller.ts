import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { StaffUserView } from '@resetdesk/contracts';
import { Public } from '../auth/auth.decorators';
import { setSessionCookies } from '../auth/session-cookies';
import { MfaActors, MfaCallerPresent } from './mfa-actor';
import { PasskeyService } from './passkey.service';
import { PendingSignIns } from './pending-sign-ins';
import { PasskeyRegistrationDto, PasskeyResponseDto } from './staff-mfa.dto';
import { staffView } from './staff-mfa.controller';
import { StaffMfaService } from './staff-mfa.service';

const REGISTRATION_COOKIE = 'rd_passkey_reg';

@ApiTags('auth')
@UseGuards(MfaCallerPresent)
@Controller('api/auth')
export class PasskeyController {
  constructor(
    private readonly actors: MfaActors,
    private readonly passkeys: PasskeyService,
    private readonly mfa: StaffMfaService,
    private readonly pending: PendingSignIns,
  ) {}

  @Public()
  @Get('passkeys')
  @ApiOperation({ summary: 'Your passkeys' })
  async list(@Req() request: Request) {
    const actor = await this.actors.resolve(request, { pendingAllowed: false });
    return (await this.mfa.status(actor.user, actor.practice)).passkeys;
  }

  @Public()
  @Delete('passkeys/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove one of your passkeys' })
  async remove(@Param('id') id: string, @Req() request: Request): Promise<void> {
    await this.passkeys.remove(await this.actors.resolve(request, { pendingAllowed: false }), id);
  }

  @Public()
  @Post('passkeys/registration/options')
  @HttpCode(200)
  @ApiOperation({ summary: 'Options for navigator.credentials.create() to add a passkey (signed in)' })
  async registrationOptions(@Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const actor = await this.actors.resolve(request, { pendingAllowed: false });
    const { options, sealedChallenge } = await this.passkeys.registrationOptions(actor);
    response.cookie(REGISTRATION_COOKIE, sealedChallenge, {
      httpOnly: true,
      sameSite: 'strict',
      secure: request.secure,
      path: '/api/auth/passkeys',
      maxAge: 5 * 60_000,
    });
    return options;
  }

  @Public()
  @Post('passkeys/registration/verify')
  @HttpCode(200)
  @ApiOperation({ summary: 'Store the new passkey: {id, recoveryCodes} (recovery codes when it is your first factor)' })
  async registrationVerify(@Body() body: PasskeyRegistrationDto, @Req() request: Request, @Res({ passthrough: true }) response: Response) {
    const actor = await this.actors.resolve(request, { pendingAllowed: false });
    const result = await this.passkeys.register(actor, request.cookies?.[REGISTRATION_COOKIE], body.response as never, body.name);
    response.clearCookie(REGISTRATION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: request.secure, path: '/api/auth/passkeys' });
    return result;
  }

  @Public()
  @Post('mfa/webauthn/options')
  @HttpCode(200)
  @ApiOperation({ summary: 'Second step with a passkey: options for navigator.credentials.get()' })
  async signInOptions(@Req() request: Request) {
    return this.passkeys.signInOptions(await this.actors.pendingActor(request));
  }

  @Public()
  @Post('mfa/webauthn/verify')
  @HttpCode(200)
  @ApiOperation({ summary: "Second step with a passkey: the authenticator's answer; opens the session" })
  async signInVerify(@Body() body: PasskeyResponseDto, @Req() request: Request, @Res({ passthrough: true }) response: Response): Promise<StaffUserView> {
    const session = await this.passkeys.signIn(await this.actors.pendingActor(request), body.response as never);
    this.pending.clearCookie(request, response);
    setSessionCookies(request, response, session.token, session.csrfToken);
    return staffView(session);
  }
}
