import { Inject, Injectable } from '@nestjs/common';
import type { Response } from 'express';
import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Practice } from '../practices/practice.entity';
import { SECURITY_QUESTIONS } from '../portal-accounts/security-questions';
import { CODE_TTL_MS, type FieldErrors } from './identity-verification.service';
import { displayPhone } from './registration-form';
import { PROOF_TTL_MS } from './registration-proof';
import type { InvalidReason } from './registration-links.service';

/**
 * tsc copies no .hbs files, so the templates are read from the source tree at runtime:
 * dist/src/registration → ../../../src/registration/views. The second path serves a build that
 * copies the views next to the compiled files.
 */
export function registrationViewsDir(): string {
  const candidates = [join(__dirname, '../../../src/registration/views'), join(__dirname, 'views')];
  const found = candidates.find((dir) => existsSync(join(dir, 'layout.hbs')));
  if (!found) throw new Error(`Registration page templates not found; looked in ${candidates.join(' and ')}`);
  return found;
}

type PageName = 'verify' | 'code' | 'account' | 'done' | 'invalid' | 'locked' | 'form-expired' | 'not-verified';

/** Where the error summary links each field's message to (the first radio for a radio group). */
const FIELD_ANCHORS: Record<string, string> = { channel: 'channel-sms' };

export interface FormState {
  token: string;
  csrf: string;
  values?: Record<string, string>;
  errors?: FieldErrors;
  /** A message for the whole form, shown in the error summary. */
  formError?: string;
}

/**
 * Renders the patient registration pages: plain server-side HTML that works without JavaScript,
 * on a phone, with a screen reader. Each page answers with no-store: they carry a link token
 * and personal details that must not linger in shared caches or the back-forward cache.
 */
@Injectable()
export class RegistrationPages {
  private readonly hbs = Handlebars.create();
  private readonly layout: Handlebars.TemplateDelegate;
  private readonly pages = new Map<PageName, Handlebars.TemplateDelegate>();

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const dir = registrationViewsDir();
    this.hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.hbs.registerHelper('describedBy', (id: string, hint: unknown, error: unknown) =>
      [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' '),
    );
    const partials = join(dir, 'partials');
    for (const file of readdirSync(partials).filter((f) => f.endsWith('.hbs'))) {
      this.hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(join(partials, file), 'utf8'));
    }
    const compile = (name: string) => this.hbs.compile(readFileSync(join(dir, `${name}.hbs`), 'utf8'), { strict: false });
    this.layout = compile('layout');
    for (const name of ['verify', 'code', 'account', 'done', 'invalid', 'locked', 'form-expired', 'not-verified'] as const) {
      this.pages.set(name, compile(name));
    }
  }

  verify(response: Response, status: number, practice: Practice, form: FormState): void {
    this.send(response, status, 'verify', "Verify it's you", practice, { ...this.form(form), channelVoice: form.values?.channel === 'voice' });
  }

  code(
    response: Response,
    status: number,
    practice: Practice,
    form: FormState & { phone: string | null; channel: 'sms' | 'voice' | null; sent: boolean; notice: string | null },
  ): void {
    this.send(response, status, 'code', 'Enter your security code', practice, {
      ...this.form(form),
      phoneLast4: (form.phone ?? '').replace(/\D/g, '').slice(-4),
      voice: form.channel === 'voice',
      codeMinutes: CODE_TTL_MS / 60_000,
      sent: form.sent,
      notice: form.notice,
    });
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
    this.send(response, 403, 'form-expired', 'This form has expired', practice, { token });
  }

  notVerified(response: Response, token: string, practice: Practice): void {
    this.send(response, 403, 'not-verified', "Please verify it's you first", practice, { token, proofMinutes: PROOF_TTL_MS / 60_000 });
  }

  private form(form: FormState): Record<string, unknown> {
    const errors = form.errors ?? {};
    const errorList = Object.entries(errors).map(([field, message]) => ({ anchor: FIELD_ANCHORS[field] ?? field, message }));
    if (form.formError) errorList.unshift({ anchor: '', message: form.formError });
    return { token: form.token, csrf: form.csrf, values: form.values ?? {}, errors, errorList };
  }

  private send(response: Response, status: number, page: PageName, title: string, practice: Practice | null, data: Record<string, unknown>): void {
    const context = {
      title,
      practice: practice ? { name: practice.name, phone: displayPhone(practice.phone), tel: practice.phone } : null,
      ...data,
    };
    const body = this.pages.get(page)!(context);
    response.status(status).type('html').setHeader('Cache-Control', 'no-store');
    response.send(this.layout({ ...context, body }));
  }
}
