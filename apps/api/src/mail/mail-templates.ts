import { Injectable } from '@nestjs/common';
import Handlebars from 'handlebars';
import juice from 'juice';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** `backchannel_logout`: the body of a logout message to a portal app (its signed token). */
export type TemplatePart = 'subject' | 'text' | 'html' | 'sms' | 'voice' | 'backchannel_logout';
const PARTS: readonly string[] = ['subject', 'text', 'html', 'sms', 'voice', 'backchannel_logout'];

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

  has(template: string, part: TemplatePart): boolean {
    return this.compiled.has(`${template}.${part}`);
  }

  render(template: string, part: TemplatePart, data: Record<string, unknown>): string {
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

    // Every `<template>.<part>.hbs` in the folder; which templates must exist is for the outbox's message definitions to check.
    for (const [key, source] of sources) {
      const part = key.slice(key.lastIndexOf('.') + 1);
      if (key === 'layout.html' || !PARTS.includes(part)) continue;
      const engine = part === 'html' ? html : plain;
      this.compiled.set(key, engine.compile(source, { strict: true, noEscape: part !== 'html' }));
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
