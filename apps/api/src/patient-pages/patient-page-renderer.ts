import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import Handlebars from 'handlebars';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Practice } from '../practices/practice.entity';
import { displayPhone, type FieldErrors } from './patient-form';
import { CODE_TTL_MS, type CodeChannel } from './security-codes';

/**
 * tsc copies no .hbs files, so templates are read from the source tree at runtime:
 * dist/src/<feature> → ../../../src/<feature>/views. The second path serves a build that copies
 * the views next to the compiled files.
 */
export function viewsDirOf(compiledDir: string, feature: string): string {
  const candidates = [join(compiledDir, '../../../src', feature, 'views'), join(compiledDir, 'views')];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new Error(`Page templates of ${feature} not found; looked in ${candidates.join(' and ')}`);
  return found;
}

export const patientPagesViewsDir = (): string => viewsDirOf(__dirname, 'patient-pages');

/** Where a page sits: its title, the practice it speaks for (null when unknown) and the header's subtitle. */
export interface PageFrame {
  title: string;
  practice: Practice | null;
  section: string;
}

export interface FormState {
  csrf: string;
  values?: Record<string, string>;
  errors?: FieldErrors;
  /** A message for the whole form, shown in the error summary. */
  formError?: string;
}

export interface CodeForm extends FormState {
  /** The link's path; the code form posts to `${base}/check-code` and `${base}/resend-code`. */
  base: string;
  phone: string | null;
  channel: CodeChannel | null;
  sent: boolean;
  notice: string | null;
  otherMethod?: { href: string; text: string };
}

/** Where the error summary links each field's message to (the first radio for a radio group). */
const FIELD_ANCHORS: Record<string, string> = { channel: 'channel-sms' };

export type PageTemplates<N extends string> = Record<N, Handlebars.TemplateDelegate>;

/**
 * The patient pages' one look: plain server-side HTML that works without JavaScript, on a phone,
 * with a screen reader. Features keep their own page templates and compile them here, against
 * the shared layout, partials (fields, error summary, CSRF field) and helpers. Every page answers
 * with no-store: they carry link tokens and personal details that must not linger in shared
 * caches or the back-forward cache.
 */
@Injectable()
export class PatientPageRenderer {
  private readonly hbs = Handlebars.create();
  private readonly layout: Handlebars.TemplateDelegate;
  private readonly shared: PageTemplates<'code' | 'form-expired'>;

  constructor() {
    const dir = patientPagesViewsDir();
    this.hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
    this.hbs.registerHelper('describedBy', (id: string, hint: unknown, error: unknown) =>
      [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' '),
    );
    const partials = join(dir, 'partials');
    for (const file of readdirSync(partials).filter((f) => f.endsWith('.hbs'))) {
      this.hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(join(partials, file), 'utf8'));
    }
    this.layout = this.compile(dir, ['layout'] as const).layout;
    this.shared = this.compile(dir, ['code', 'form-expired'] as const);
  }

  /** Compiles `<dir>/<name>.hbs` for each name, with the shared partials and helpers. */
  compile<N extends string>(dir: string, names: readonly N[]): PageTemplates<N> {
    const pages = {} as PageTemplates<N>;
    for (const name of names) pages[name] = this.hbs.compile(readFileSync(join(dir, `${name}.hbs`), 'utf8'), { strict: false });
    return pages;
  }

  send(response: Response, status: number, template: Handlebars.TemplateDelegate, frame: PageFrame, data: Record<string, unknown>): void {
    const { practice } = frame;
    const context = {
      title: frame.title,
      section: frame.section,
      practice: practice ? { name: practice.name, phone: displayPhone(practice.phone), tel: practice.phone } : null,
      ...data,
    };
    const body = template(context);
    response.status(status).type('html').setHeader('Cache-Control', 'no-store');
    response.send(this.layout({ ...context, body }));
  }

  /** What the shared form partials read: values, per-field errors and the error summary's list. */
  form(form: FormState): Record<string, unknown> {
    const errors = form.errors ?? {};
    const errorList = Object.entries(errors).map(([field, message]) => ({ anchor: FIELD_ANCHORS[field] ?? field, message }));
    if (form.formError) errorList.unshift({ anchor: '', message: form.formError });
    return { csrf: form.csrf, values: form.values ?? {}, errors, errorList };
  }

  /** "Enter your security code": Security code, Check, and Request the code again. */
  code(response: Response, status: number, frame: Omit<PageFrame, 'title'>, form: CodeForm): void {
    this.send(
      response,
      status,
      this.shared.code,
      { ...frame, title: 'Enter your security code' },
      {
        ...this.form(form),
        base: form.base,
        otherMethod: form.otherMethod ?? null,
        phoneLast4: (form.phone ?? '').replace(/\D/g, '').slice(-4),
        voice: form.channel === 'voice',
        codeMinutes: CODE_TTL_MS / 60_000,
        sent: form.sent,
        notice: form.notice,
      },
    );
  }

  /** A form post whose CSRF token was missing, forged or stale: nothing was read or counted. */
  formExpired(response: Response, frame: Omit<PageFrame, 'title'>, restartHref: string): void {
    this.send(response, 403, this.shared['form-expired'], { ...frame, title: 'This form has expired' }, { restartHref });
  }
}
