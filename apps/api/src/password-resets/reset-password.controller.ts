import { Body, Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { PatientFormCsrf } from '../patient-pages/patient-form-csrf';
import { formField } from '../patient-pages/patient-form';
import { PasswordChangeService } from './password-change.service';
import { OpenResetLink, PasswordResetLinks, ResetLinkProblem } from './password-reset-links.service';
import { PasswordResetProof } from './password-reset-proof';
import { RecoveryPages } from './recovery-pages';
import { RecoveryCodeOutcome, RecoveryVerificationService, RecoveryVerifyOutcome } from './recovery-verification.service';

/**
 * The emailed reset link: the patient confirms who they are (security question, or a code sent
 * to the chart's phone), then picks a new password. GET never changes or counts anything; every
 * POST is checked for its CSRF token before anything is read or counted.
 */
@ApiTags('patient pages')
@ApiProduces('text/html')
@Public()
@Controller('reset-password')
export class ResetPasswordController {
  constructor(
    private readonly links: PasswordResetLinks,
    private readonly verification: RecoveryVerificationService,
    private readonly passwords: PasswordChangeService,
    private readonly pages: RecoveryPages,
    private readonly csrf: PatientFormCsrf,
    private readonly proof: PasswordResetProof,
  ) {}

  @Get(':token')
  @ApiOperation({ summary: 'Choose how to confirm it is you: "Answer my security question" or "Send me a security code"' })
  async choose(@Param('token') token: string, @Res() response: Response): Promise<void> {
    const link = await this.links.find(token);
    if (link.kind !== 'open') return this.pages.problem(response, link);
    this.pages.choose(response, 200, token, link);
  }

  @Get(':token/question')
  @ApiOperation({ summary: 'Security question form: Date of birth (YYYYMMDD) and Security answer' })
  async questionForm(@Param('token') token: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.links.find(token);
    if (link.kind !== 'open') return this.pages.problem(response, link);
    this.pages.question(response, 200, token, link, { csrf: this.csrf.fieldFor(request, response) });
  }

  @Post(':token/question')
  @ApiOperation({ summary: 'Answer the security question: dateOfBirth, securityAnswer' })
  async answerQuestion(
    @Param('token') token: string,
    @Body() body: Record<string, unknown>,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    const values = { dateOfBirth: formField(body, 'dateOfBirth', 32), securityAnswer: formField(body, 'securityAnswer', 200) };
    const outcome = await this.verification.answerQuestion(link, values);
    this.showVerifyOutcome(request, response, token, link, outcome, (errors) =>
      // The answer is not sent back: whoever looks over the patient's shoulder next should not see it.
      this.pages.question(response, 422, token, link, { csrf: this.csrf.fieldFor(request, response), values: { dateOfBirth: values.dateOfBirth }, errors }),
    );
  }

  // The form targets too: a bookmarked or retyped form address shows the phone form instead of a bare 404.
  @Get([':token/code', ':token/send-code', ':token/check-code', ':token/resend-code'])
  @ApiOperation({ summary: 'Security code form: Phone number and Send code by (Text or Voice)' })
  async phoneForm(@Param('token') token: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.links.find(token);
    if (link.kind !== 'open') return this.pages.problem(response, link);
    this.pages.phone(response, 200, token, link, { csrf: this.csrf.fieldFor(request, response) });
  }

  @Post(':token/send-code')
  @ApiOperation({ summary: 'Send a 6-digit code (valid 10 minutes) to the chart phone: phone (must match the chart), channel sms|voice' })
  async sendCode(@Param('token') token: string, @Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    const values = { phone: formField(body, 'phone', 32), channel: formField(body, 'channel', 8) };
    this.showCodeOutcome(request, response, token, link, await this.verification.sendCode(link, values), values);
  }

  @Post(':token/resend-code')
  @ApiOperation({ summary: 'Request the code again (at most one a minute and five per link)' })
  async resendCode(@Param('token') token: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    this.showCodeOutcome(request, response, token, link, await this.verification.resendCode(link), {});
  }

  @Post(':token/check-code')
  @ApiOperation({ summary: 'Check the security code: code' })
  async checkCode(@Param('token') token: string, @Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    const outcome = await this.verification.checkCode(link, { code: formField(body, 'code', 32) });
    this.showVerifyOutcome(request, response, token, link, outcome, (errors) =>
      this.pages.code(response, 422, token, link, { csrf: this.csrf.fieldFor(request, response), errors, channel: null, sent: false, notice: null }),
    );
  }

  @Get(':token/new-password')
  @ApiOperation({ summary: 'New password form; only after confirming it is you in this browser' })
  async newPasswordForm(@Param('token') token: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const link = await this.links.find(token);
    if (link.kind !== 'open') return this.pages.problem(response, link);
    if (!this.proof.holds(request, link.request)) return this.pages.notVerified(response, token, link.practice);
    this.pages.newPassword(response, 200, token, link, { csrf: this.csrf.fieldFor(request, response) });
  }

  @Post(':token/new-password')
  @ApiOperation({ summary: 'Save password: newPassword, confirmNewPassword; ends every portal session of the account' })
  async saveNewPassword(
    @Param('token') token: string,
    @Body() body: Record<string, unknown>,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const link = await this.openLink(token, request, response);
    if (!link) return;
    if (!this.proof.holds(request, link.request)) return this.pages.notVerified(response, token, link.practice);
    const outcome = await this.passwords.change(link, {
      newPassword: formField(body, 'newPassword', 1000),
      confirmNewPassword: formField(body, 'confirmNewPassword', 1000),
    });
    switch (outcome.kind) {
      case 'changed':
        this.proof.clear(request, response);
        return response.redirect(303, '/login?notice=password-changed');
      case 'rejected':
        // Passwords are never sent back to the browser.
        return this.pages.newPassword(response, 422, token, link, { csrf: this.csrf.fieldFor(request, response), errors: outcome.errors });
      case 'not_verified':
        return this.pages.notVerified(response, token, link.practice);
      default:
        return this.pages.problem(response, outcome);
    }
  }

  /** The usable link behind a form post, or null once a page explaining why not has been sent. */
  private async openLink(token: string, request: Request, response: Response): Promise<OpenResetLink | null> {
    const link = await this.links.find(token);
    // Checked before anything is compared or counted: a forged post must not cost the patient an attempt.
    if (!this.csrf.accepts(request)) {
      this.pages.formExpired(response, link.practice, `/reset-password/${token}`);
      return null;
    }
    if (link.kind !== 'open') {
      this.pages.problem(response, link);
      return null;
    }
    return link;
  }

  private showVerifyOutcome(
    request: Request,
    response: Response,
    token: string,
    link: OpenResetLink,
    outcome: RecoveryVerifyOutcome,
    showErrors: (errors: Record<string, string>) => void,
  ): void {
    switch (outcome.kind) {
      case 'verified':
        this.proof.grant(request, response, outcome.request);
        // Relative on purpose: a Location header naming the token would end up in access logs.
        return response.redirect(303, 'new-password');
      case 'rejected':
        return showErrors(outcome.errors);
      case 'method_unavailable':
        return this.pages.choose(response, 409, token, link, {
          formError: 'That way of confirming it is you is not available for your account. Choose another below.',
        });
      default:
        return this.pages.problem(response, outcome satisfies ResetLinkProblem);
    }
  }

  private showCodeOutcome(
    request: Request,
    response: Response,
    token: string,
    link: OpenResetLink,
    outcome: RecoveryCodeOutcome,
    values: Record<string, string>,
  ): void {
    const csrf = this.csrf.fieldFor(request, response);
    switch (outcome.kind) {
      case 'code_page':
        return this.pages.code(response, 200, token, link, { csrf, channel: outcome.channel, sent: outcome.sent, notice: outcome.notice });
      case 'rejected':
        return this.pages.phone(response, 422, token, link, { csrf, values, errors: outcome.errors });
      case 'no_code':
        return this.pages.phone(response, 200, token, link, { csrf, values, formError: 'To get a security code, enter your phone number below.' });
      case 'method_unavailable':
        return this.pages.choose(response, 409, token, link, {
          formError: 'That way of confirming it is you is not available for your account. Choose another below.',
        });
      default:
        return this.pages.problem(response, outcome);
    }
  }
}
