import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PageFrame, PageTemplates, PatientPageRenderer, FormState as SharedFormState, viewsDirOf } from '../patient-pages/patient-page-renderer';
import type { CodeChannel } from '../patient-pages/security-codes';
import { Practice } from '../practices/practice.entity';
import { SECURITY_QUESTIONS } from '../portal-accounts/security-questions';
import { PROOF_TTL_MS } from './registration-proof';
import type { InvalidReason } from './registration-links.service';

const SECTION = 'Patient portal registration';
const PAGES = ['verify', 'account', 'done', 'invalid', 'locked', 'not-verified'] as const;

export interface FormState extends SharedFormState {
  token: string;
}

/** The registration pages (spec §4), in the shared patient-page layout. */
@Injectable()
export class RegistrationPages {
  private readonly pages: PageTemplates<(typeof PAGES)[number]>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly renderer: PatientPageRenderer,
  ) {
    this.pages = renderer.compile(viewsDirOf(__dirname, 'registration'), PAGES);
  }

  verify(response: Response, status: number, practice: Practice, form: FormState): void {
    this.send(response, status, 'verify', "Verify it's you", practice, { ...this.form(form), channelVoice: form.values?.channel === 'voice' });
  }

  code(
    response: Response,
    status: number,
    practice: Practice,
    form: FormState & { phone: string | null; channel: CodeChannel | null; sent: boolean; notice: string | null },
  ): void {
    this.renderer.code(
      response,
      status,
      { practice, section: SECTION },
      {
        ...form,
        base: `/register/${form.token}`,
        otherMethod: { href: `/register/${form.token}`, text: 'Use your PIN instead' },
      },
    );
  }

  account(response: Response, status: number, practice: Practice, form: FormState & { firstName: string }): void {
    const chosen = form.values?.securityQuestion ?? '';
    this.send(response, status, 'account', 'Create your account', practice, {
      ...this.form(form),
      firstName: form.firstName,
      askQuestion: practice.allowSecurityQuestions,
      questions: SECURITY_QUESTIONS.map((text) => ({ text, selected: text === chosen })),
    });
  }

  done(response: Response, practice: Practice, username: string): void {
    this.send(response, 200, 'done', 'Your account is ready', practice, { username });
  }

  /** Unknown links answer 404 and known but spent ones 410: a real page either way, never a bare error. */
  invalid(response: Response, reason: InvalidReason, practice: Practice | null): void {
    this.send(response, reason === 'unknown' ? 404 : 410, 'invalid', 'This registration link is not valid', practice, {
      [reason]: true,
      ttlHours: this.config.invitationTtlHours,
    });
  }

  locked(response: Response, practice: Practice): void {
    this.send(response, 403, 'locked', 'This link has been locked', practice, {});
  }

  formExpired(response: Response, token: string, practice: Practice | null): void {
    this.renderer.formExpired(response, { practice, section: SECTION }, `/register/${token}`);
  }

  notVerified(response: Response, token: string, practice: Practice): void {
    this.send(response, 403, 'not-verified', "Please verify it's you first", practice, { token, proofMinutes: PROOF_TTL_MS / 60_000 });
  }

  private form(form: FormState): Record<string, unknown> {
    return { ...this.renderer.form(form), token: form.token };
  }

  private send(
    response: Response,
    status: number,
    page: (typeof PAGES)[number],
    title: string,
    practice: Practice | null,
    data: Record<string, unknown>,
  ): void {
    const frame: PageFrame = { title, practice, section: SECTION };
    this.renderer.send(response, status, this.pages[page], frame, data);
  }
}
