import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import juice from 'juice';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageTemplate } from '../outbox/outbox.service';

/**
 * Where the .hbs files are read from at runtime. tsc does not copy them to dist, so the compiled
 * file (dist/src/mail/mail-templates.js) reaches back into the source tree
 * (../../../src/mail/templates): one copy of each template, editable without a build step, and
 * nothing to forget in the build. A deployment that ships only dist/ copies the folder next to
 * the compiled file (dist/src/mail/templates), which is tried second.
 */
export function templatesDirectory(): string {
  const candidates = [join(__dirname, '../../../src/mail/templates'), join(__dirname, 'templates')];
  const found = candidates.find((dir) => existsSync(join(dir, 'layout.html.hbs')));
  if (!found) throw new Error(`Mail templates not found; looked in ${candidates.join(' and ')}`);
  return found;
}

/** The parts each template must have; checked at start-up so a missing file fails the boot, not a patient's email. */
export const TEMPLATE_PARTS: Record<MessageTemplate, readonly TemplatePart[]> = {
  'registration-email': ['subject', 'text', 'html'],
  'account-ready-email': ['subject', 'text', 'html'],
  'security-code': ['sms', 'voice'],
  'password-reset-email': ['subject', 'text', 'html'],
  'password-changed-email': ['subject', 'text', 'html'],
  'username-reminder-email': ['subject', 'text', 'html'],
};

export type TemplatePart = 'subject' | 'text' | 'html' | 'sms' | 'voice';

type Render = (data: Record<string, unknown>) => string;

/**
 * Compiles every template once. HTML parts escape all data (`{{x}}`); the only raw values are
 * links, which the renderer builds from PUBLIC_URL and an encoded token before they get here.
 * Subjects, plain text and SMS/voice are not HTML, so they are compiled without HTML escaping
 * (an "O'Brien" must not arrive as "O&#x27;Brien"). `strict` turns a misspelt field into an
 * error instead of a silently blank sentence.
 */
@Injectable()
export class MailTemplates {
  private readonly compiled = new Map<string, Render>();

  constructor() {
    this.load(templatesDirectory());
  }

  has(template: MessageTemplate, part: TemplatePart): boolean {
    return this.compiled.has(`${template}.${part}`);
  }

  render(template: MessageTemplate, part: TemplatePart, data: Record<string, unknown>): string {
    const render = this.compiled.get(`${template}.${part}`);
    if (!render) throw new Error(`No ${part} part for template ${template}`);
    const output = render(data);
    if (part === 'html') return juice(output);
    if (part === 'subject') return output.replace(/\s+/g, ' ').trim();
    return tidyText(output);
  }

  private load(dir: string): void {
    const html = Handlebars.create();
    const plain = Handlebars.create();
    const sources = new Map<string, string>();
    for (const file of readdirSync(dir)) {
      if (file.endsWith('.hbs')) sources.set(file.slice(0, -'.hbs'.length), readFileSync(join(dir, file), 'utf8'));
    }
    const layout = sources.get('layout.html');
    if (!layout) throw new Error(`Mail template layout.html.hbs is missing in ${dir}`);
    html.registerPartial('layout', layout);

    for (const [template, parts] of Object.entries(TEMPLATE_PARTS)) {
      for (const part of parts) {
        const key = `${template}.${part}`;
        const source = sources.get(key);
        if (source === undefined) throw new Error(`Mail template ${key}.hbs is missing in ${dir}`);
        const engine = part === 'html' ? html : plain;
        this.compiled.set(key, engine.compile(source, { strict: true, noEscape: part !== 'html' }));
      }
    }
  }
}

/** Template files end with a newline and blocks leave blank runs; keep at most one empty line. */
function tidyText(text: string): string {
  return text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
