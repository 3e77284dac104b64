import { Body, Controller, Get, Post, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { withTimingFloor } from '../patient-pages/even-timing';
import { PatientFormCsrf } from '../patient-pages/patient-form-csrf';
import { collect, dateOfBirthProblem, formField, parseDateOfBirth } from '../patient-pages/patient-form';
import { PasswordResetRequestsService } from './password-reset-requests.service';
import { RecoveryPages } from './recovery-pages';
import { UsernameRemindersService } from './username-reminders.service';

const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * "Forgot password" and "Forgot username". Whether or not the username (or email and date of
 * birth) matches anything, the answer is the same page, with the same status, after the same
 * time: these forms must not tell a stranger who is a patient here.
 */
@ApiTags('patient pages')
@ApiProduces('text/html')
@Public()
@Controller()
export class ForgottenCredentialsController {
  constructor(
    private readonly resets: PasswordResetRequestsService,
    private readonly reminders: UsernameRemindersService,
    private readonly pages: RecoveryPages,
    private readonly csrf: PatientFormCsrf,
  ) {}

  @Get('forgot-password')
  @ApiOperation({ summary: 'Forgot password form (Username, Reset Password)' })
  forgotPasswordForm(@Req() request: Request, @Res() response: Response): void {
    this.pages.forgotPassword(response, 200, { csrf: this.csrf.fieldFor(request, response) });
  }

  @Post('forgot-password')
  @ApiOperation({ summary: 'Emails a single-use reset link (1 hour) to the address on the chart, if the username exists; same answer either way' })
  async forgotPassword(@Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.csrf.accepts(request)) return this.pages.formExpired(response, null, '/forgot-password');
    const username = formField(body, 'username', 200);
    if (!username.trim()) {
      return this.pages.forgotPassword(response, 422, { csrf: this.csrf.fieldFor(request, response), errors: { username: 'Enter your username.' } });
    }
    await withTimingFloor(() => this.resets.request(username));
    this.pages.forgotPasswordSent(response);
  }

  @Get('forgot-username')
  @ApiOperation({ summary: 'Forgot username form (Email address, Date of birth (YYYYMMDD))' })
  forgotUsernameForm(@Req() request: Request, @Res() response: Response): void {
    this.pages.forgotUsername(response, 200, { csrf: this.csrf.fieldFor(request, response) });
  }

  @Post('forgot-username')
  @ApiOperation({ summary: 'Emails the username(s) to the chart address when email and date of birth match a chart; same answer either way' })
  async forgotUsername(@Body() body: Record<string, unknown>, @Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.csrf.accepts(request)) return this.pages.formExpired(response, null, '/forgot-username');
    const values = { email: formField(body, 'email', 254).trim(), dateOfBirth: formField(body, 'dateOfBirth', 32) };
    const errors = collect({
      email: !values.email ? 'Enter your email address.' : EMAIL_SHAPE.test(values.email) ? null : 'Enter an email address like name@example.com.',
      dateOfBirth: dateOfBirthProblem(values.dateOfBirth),
    });
    if (errors) return this.pages.forgotUsername(response, 422, { csrf: this.csrf.fieldFor(request, response), values, errors });
    await withTimingFloor(() => this.reminders.remind(values.email.toLowerCase(), parseDateOfBirth(values.dateOfBirth)!));
    this.pages.forgotUsernameSent(response);
  }
}
