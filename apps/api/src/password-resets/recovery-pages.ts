import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { CodeForm, FormState, PageTemplates, PatientPageRenderer, viewsDirOf } from '../patient-pages/patient-page-renderer';
import { PROOF_TTL_MS } from '../patient-pages/verified-link-proof';
import { Practice } from '../practices/practice.entity';
import type { OpenResetLink, ResetLinkProblem } from './password-reset-links.service';
import { RESET_LINK_TTL_MS } from './password-reset-requests.service';
import { recoveryMethods } from './recovery-verification.service';

const SECTION = 'Patient portal account help';
const PAGES = [
  'forgot-password',
  'forgot-password-sent',
  'forgot-username',
  'forgot-username-sent',
  'choose',
  'question',
  'phone',
  'new-password',
  'invalid',
  'locked',
  'not-verified',
] as const;
type PageName = (typeof PAGES)[number];

export const INVALID_RESET_TOKEN = 'The reset token you have provided is not valid';

/** The self-service recovery pages: forgot password, the reset link's steps, forgot username. */
@Injectable()
export class RecoveryPages {
  private readonly pages: PageTemplates<PageName>;

  constructor(private readonly renderer: PatientPageRenderer) {
    this.pages = renderer.compile(viewsDirOf(__dirname, 'password-resets'), PAGES);
  }

  forgotPassword(response: Response, status: number, form: FormState): void {
    this.send(response, status, 'forgot-password', 'Forgot your password?', null, this.renderer.form(form));
  }

  forgotPasswordSent(response: Response): void {
    this.send(response, 200, 'forgot-password-sent', 'Check your email', null, { linkHours: RESET_LINK_TTL_MS / 3_600_000 });
  }

  forgotUsername(response: Response, status: number, form: FormState): void {
    this.send(response, status, 'forgot-username', 'Forgot your username?', null, this.renderer.form(form));
  }

  forgotUsernameSent(response: Response): void {
    this.send(response, 200, 'forgot-username-sent', 'Check your email', null, {});
  }

  choose(response: Response, status: number, token: string, link: OpenResetLink, form: Partial<FormState> = {}): void {
    const methods = recoveryMethods(link);
    this.send(response, status, 'choose', 'Reset your password', link.practice, {
      ...this.renderer.form({ csrf: '', ...form }),
      base: base(token),
      question: !!methods.question,
      code: methods.code,
      anyMethod: !!methods.question || methods.code,
    });
  }

  question(response: Response, status: number, token: string, link: OpenResetLink, form: FormState): void {
    const methods = recoveryMethods(link);
    this.send(response, status, 'question', 'Answer your security question', link.practice, {
      ...this.renderer.form(form),
      base: base(token),
      questionHint: `Your question: ${methods.question ?? ''} Capital letters and extra spaces do not matter.`,
      code: methods.code,
    });
  }

  phone(response: Response, status: number, token: string, link: OpenResetLink, form: FormState): void {
    this.send(response, status, 'phone', 'Get a security code', link.practice, {
      ...this.renderer.form(form),
      base: base(token),
      channelVoice: form.values?.channel === 'voice',
      question: !!recoveryMethods(link).question,
    });
  }

  code(response: Response, status: number, token: string, link: OpenResetLink, form: Omit<CodeForm, 'base' | 'phone' | 'otherMethod'>): void {
    const question = recoveryMethods(link).question;
    this.renderer.code(
      response,
      status,
      { practice: link.practice, section: SECTION },
      {
        ...form,
        base: base(token),
        phone: link.patient.phone,
        otherMethod: question ? { href: `${base(token)}/question`, text: 'Answer my security question instead' } : undefined,
      },
    );
  }

  newPassword(response: Response, status: number, token: string, link: OpenResetLink, form: FormState): void {
    this.send(response, status, 'new-password', 'Choose a new password', link.practice, {
      ...this.renderer.form(form),
      base: base(token),
      firstName: link.patient.firstName,
      username: link.account.username,
    });
  }

  /** Unknown links answer 404 and known but spent ones 410: a real page either way, never a bare error. */
  problem(response: Response, problem: ResetLinkProblem): void {
    if (problem.kind === 'locked') return this.send(response, 403, 'locked', 'Your account is locked', problem.practice, {});
    this.send(response, problem.practice ? 410 : 404, 'invalid', INVALID_RESET_TOKEN, problem.practice, { linkHours: RESET_LINK_TTL_MS / 3_600_000 });
  }

  notVerified(response: Response, token: string, practice: Practice): void {
    this.send(response, 403, 'not-verified', "Please confirm it's you first", practice, { base: base(token), proofMinutes: PROOF_TTL_MS / 60_000 });
  }

  formExpired(response: Response, practice: Practice | null, restartHref: string): void {
    this.renderer.formExpired(response, { practice, section: SECTION }, restartHref);
  }

  private send(response: Response, status: number, page: PageName, title: string, practice: Practice | null, data: Record<string, unknown>): void {
    this.renderer.send(response, status, this.pages[page], { title, practice, section: SECTION }, data);
  }
}

const base = (token: string) => `/reset-password/${token}`;
