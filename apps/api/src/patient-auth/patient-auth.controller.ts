import { Body, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { UnitOfWork } from '../database/unit-of-work';
import { PatientFormCsrf } from '../patient-pages/patient-form-csrf';
import { collect, formField } from '../patient-pages/patient-form';
import { Practice } from '../practices/practice.entity';
import { PatientAuthPages, SIGN_IN_NOTICES, SignInNotice } from './patient-auth-pages';
import { PatientSessions } from './patient-sessions.service';
import { DomainException } from '../common/domain.exception';
import { PatientSignInService, SIGN_IN_MESSAGES, temporaryLockMessage } from './patient-sign-in.service';

/**
 * The patient portal's sign-in (server-rendered, no JavaScript). The portal itself is not
 * ResetDesk's: a signed-in patient sees who they are signed in as and can sign out. The pages
 * live under /login because the console's single-page fallback claims other top-level paths.
 */
@ApiTags('patient pages')
@ApiProduces('text/html')
@Public()
@Controller('login')
export class PatientAuthController {
  constructor(
    private readonly signIns: PatientSignInService,
    private readonly sessions: PatientSessions,
    private readonly pages: PatientAuthPages,
    private readonly csrf: PatientFormCsrf,
    private readonly uow: UnitOfWork,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Sign-in form (Username, Password, Sign in); ?notice=password-changed|signed-out shows a notice' })
  async form(@Query('notice') notice: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    if (await this.sessions.current(request)) return response.redirect(303, '/login/signed-in');
    const known = typeof notice === 'string' && notice in SIGN_IN_NOTICES ? (notice as SignInNotice) : null;
    this.pages.login(response, 200, { csrf: this.csrf.fieldFor(request, response), notice: known });
  }

  @Post()
  @ApiOperation({
    summary:
      'Sign in with username and password; 5 wrong passwords in a row lock the account for 15 minutes (doubling within 24 hours); 30 failures an hour from one address answer 429',
  })
  async signIn(@Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.csrf.accepts(request)) return this.pages.formExpired(response);
    const username = formField(body, 'username', 200);
    const password = formField(body, 'password', 1000);
    const show = (status: number, problem: { errors?: Record<string, string>; formError?: string }) =>
      this.pages.login(response, status, { csrf: this.csrf.fieldFor(request, response), values: { username }, ...problem });

    const errors = collect({ username: username.trim() ? null : 'Enter your username.', password: password ? null : 'Enter your password.' });
    if (errors) return show(422, { errors });
    const outcome = await this.signIns.signIn(username, password);
    switch (outcome.kind) {
      case 'signed_in':
        if (outcome.token) this.sessions.setCookie(request, response, outcome.token);
        return response.redirect(303, '/login/signed-in');
      case 'locked':
        return show(403, { formError: outcome.lockedUntil ? temporaryLockMessage(outcome.lockedUntil) : SIGN_IN_MESSAGES.locked });
      case 'throttled':
        // A browser gets the page with the message; anything else the one JSON error body.
        if (!request.accepts('html')) throw new DomainException('rate_limited', outcome.message, undefined, outcome.retryAfterSeconds);
        response.setHeader('Retry-After', String(outcome.retryAfterSeconds));
        return show(429, { formError: outcome.message });
      case 'invalid':
        return show(401, { formError: SIGN_IN_MESSAGES.invalid });
    }
  }

  @Get('signed-in')
  @ApiOperation({ summary: '"You are signed in as <username>" with a Sign out button; without a live session, back to /login' })
  async signedIn(@Req() request: Request, @Res() response: Response): Promise<void> {
    const signedIn = await this.sessions.current(request);
    if (!signedIn) {
      this.sessions.clearCookie(request, response);
      return response.redirect(303, '/login');
    }
    const practice = await this.uow.dataSource.manager.findOneBy(Practice, { id: signedIn.account.practiceId });
    this.pages.signedIn(response, practice, signedIn.account.username, this.csrf.fieldFor(request, response));
  }

  @Post('sign-out')
  @ApiOperation({ summary: 'End this patient session' })
  async signOut(@Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.csrf.accepts(request)) return this.pages.formExpired(response);
    const signedIn = await this.sessions.current(request);
    if (signedIn) await this.signIns.signOut({ sessionId: signedIn.session.id, account: signedIn.account });
    this.sessions.clearCookie(request, response);
    response.redirect(303, '/login?notice=signed-out');
  }
}
