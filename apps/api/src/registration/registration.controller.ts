import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { AccountRegistrationService } from './account-registration.service';
import { IdentityVerificationService, SendCodeOutcome, VerifyOutcome } from './identity-verification.service';
import { PatientFormCsrf } from '../patient-pages/patient-form-csrf';
import { formField } from '../patient-pages/patient-form';
import { LinkProblem, OpenLink, RegistrationLinks } from './registration-links.service';
import { RegistrationPages } from './registration-pages';
import { RegistrationProof } from './registration-proof';

/**
 * The patient registration pages (product spec §4): server-rendered forms that work without
 * JavaScript. GET never changes anything; every POST is checked for its CSRF token before
 * anything is read or counted.
 */
@ApiTags('patient pages')
@ApiProduces('text/html')
@Public()
@Controller('register')
export class RegistrationController {
  constructor(
    private readonly links: RegistrationLinks,
    private readonly verification: IdentityVerificationService,
    private readonly registration: AccountRegistrationService,
    private readonly pages: RegistrationPages,
    private readonly csrf: PatientFormCsrf,
    private readonly proof: RegistrationProof,
  ) {}

  // The form targets too: a bookmarked or retyped form address shows step 1 instead of a bare 404.
  @Get([':token', ':token/verify', ':token/check-code', ':token/resend-code'])
  @ApiOperation({ summary: 'Step 1 "Verify it\'s you" (HTML). Opening the link changes and counts nothing.' })
  async start(@Param('token') token: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.links.find(token);
    if (link.kind !== 'open') return this.showProblem(response, link);
    this.pages.verify(response, 200, link.practice, { token, csrf: this.csrf.fieldFor(request, response) });
  }

  @Post(':token/verify')
  @ApiOperation({ summary: 'Step 1 submit: dateOfBirth with pin (via=pin), or with phone and channel (via=phone) to send a code' })
  async verify(@Param('token') token: string, @Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    const values = { dateOfBirth: formField(body, 'dateOfBirth', 32), phone: formField(body, 'phone', 32), channel: formField(body, 'channel', 8) };
    const pin = formField(body, 'pin', 32);
    // Enter in the phone field submits the form's first button (the PIN one): go by what was filled in.
    const viaPhone = formField(body, 'via') === 'phone' || (!pin.trim() && values.phone.trim() !== '');
    if (viaPhone) {
      return this.showCodeOutcome(request, response, token, link, await this.verification.sendCode(link, values), values);
    }
    const outcome = await this.verification.verifyWithPin(link, { dateOfBirth: values.dateOfBirth, pin });
    this.showVerifyOutcome(request, response, outcome, (errors) =>
      this.pages.verify(response, 422, link.practice, { token, csrf: this.csrf.fieldFor(request, response), values, errors }),
    );
  }

  @Post(':token/check-code')
  @ApiOperation({ summary: 'Check the 6-digit security code sent by text or voice' })
  async checkCode(@Param('token') token: string, @Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    const outcome = await this.verification.checkCode(link, { code: formField(body, 'code', 32) });
    this.showVerifyOutcome(request, response, outcome, (errors) =>
      this.pages.code(response, 422, link.practice, {
        token,
        csrf: this.csrf.fieldFor(request, response),
        errors,
        phone: link.patient.phone,
        channel: null,
        sent: false,
        notice: null,
      }),
    );
  }

  @Post(':token/resend-code')
  @ApiOperation({ summary: 'Request the code again (at most one a minute and five per link)' })
  async resendCode(@Param('token') token: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    this.showCodeOutcome(request, response, token, link, await this.verification.resendCode(link), {});
  }

  @Get(':token/account')
  @ApiOperation({ summary: 'Step 2 "Create your account" (HTML); only after step 1 in this browser' })
  async accountForm(@Param('token') token: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.links.find(token);
    if (link.kind !== 'open') return this.showProblem(response, link);
    if (!this.proof.holds(request, link.invitation)) return this.pages.notVerified(response, token, link.practice);
    this.pages.account(response, 200, link.practice, { token, csrf: this.csrf.fieldFor(request, response), firstName: link.patient.firstName });
  }

  @Post(':token/account')
  @ApiOperation({ summary: 'Step 2 submit: username, password, confirmPassword, securityQuestion, securityAnswer' })
  async createAccount(@Param('token') token: string, @Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    if (!this.proof.holds(request, link.invitation)) return this.pages.notVerified(response, token, link.practice);
    const answer = {
      username: formField(body, 'username', 200),
      password: formField(body, 'password', 1000),
      confirmPassword: formField(body, 'confirmPassword', 1000),
      securityQuestion: formField(body, 'securityQuestion', 255),
      securityAnswer: formField(body, 'securityAnswer', 200),
    };
    const outcome = await this.registration.register(link, answer);
    switch (outcome.kind) {
      case 'created':
        this.proof.clear(request, response);
        return this.pages.done(response, link.practice, outcome.account.username);
      case 'rejected':
        return this.pages.account(response, 422, link.practice, {
          token,
          csrf: this.csrf.fieldFor(request, response),
          firstName: link.patient.firstName,
          // Passwords are never sent back to the browser.
          values: { username: answer.username, securityQuestion: answer.securityQuestion, securityAnswer: answer.securityAnswer },
          errors: outcome.errors,
          formError: outcome.message,
        });
      case 'not_verified':
        return this.pages.notVerified(response, token, link.practice);
      default:
        return this.showProblem(response, outcome);
    }
  }

  /** The usable link behind a form post, or null once a page explaining why not has been sent. */
  private async openLink(token: string, request: Request, response: Response): Promise<OpenLink | null> {
    const link = await this.links.find(token);
    // Checked before anything is compared or counted: a forged post must not cost the patient an attempt.
    if (!this.csrf.accepts(request)) {
      this.pages.formExpired(response, token, link.practice);
      return null;
    }
    if (link.kind !== 'open') {
      this.showProblem(response, link);
      return null;
    }
    return link;
  }

  private showVerifyOutcome(request: Request, response: Response, outcome: VerifyOutcome, showErrors: (errors: Record<string, string>) => void): void {
    switch (outcome.kind) {
      case 'verified':
        this.proof.grant(request, response, outcome.invitation);
        // Relative on purpose: a Location header naming the token would end up in access logs.
        return response.redirect(303, 'account');
      case 'rejected':
        return showErrors(outcome.errors);
      default:
        return this.showProblem(response, outcome);
    }
  }

  private showCodeOutcome(request: Request, response: Response, token: string, link: OpenLink, outcome: SendCodeOutcome, values: Record<string, string>): void {
    const csrf = this.csrf.fieldFor(request, response);
    switch (outcome.kind) {
      case 'code_page':
        return this.pages.code(response, 200, link.practice, {
          token,
          csrf,
          phone: link.patient.phone,
          channel: outcome.channel,
          sent: outcome.sent,
          notice: outcome.notice,
        });
      case 'rejected':
        return this.pages.verify(response, 422, link.practice, { token, csrf, values, errors: outcome.errors });
      case 'no_code':
        return this.pages.verify(response, 200, link.practice, {
          token,
          csrf,
          values,
          formError: 'To get a security code, enter your date of birth and phone number below.',
        });
      default:
        return this.showProblem(response, outcome);
    }
  }

  private showProblem(response: Response, problem: LinkProblem): void {
    if (problem.kind === 'locked') return this.pages.locked(response, problem.practice);
    this.pages.invalid(response, problem.reason, problem.practice);
  }
}
