import { Injectable } from '@nestjs/common';
import { MailTemplates, type TemplatePart } from '../mail/mail-templates';
import { type MessageDefinition, type MessageKind, kindKey } from './message-definition';

const EMAIL_PARTS: readonly TemplatePart[] = ['subject', 'text', 'html'];

/**
 * Every message kind the product sends, as registered by the feature that owns it. Registering
 * checks the template's parts exist, so a missing file fails the boot, not a patient's email.
 */
@Injectable()
export class MessageDefinitions {
  private readonly byKey = new Map<string, MessageDefinition>();

  constructor(private readonly templates: MailTemplates) {}

  register(...definitions: MessageDefinition[]): void {
    for (const definition of definitions) {
      const key = kindKey(definition);
      if (this.byKey.has(key)) throw new Error(`Message kind ${key} is registered twice`);
      for (const channel of definition.channels) {
        const parts = channel === 'email' ? EMAIL_PARTS : [channel];
        for (const part of parts) {
          if (!this.templates.has(definition.template, part)) throw new Error(`Mail template ${definition.template}.${part}.hbs is missing`);
        }
      }
      this.byKey.set(key, definition);
    }
  }

  find(kind: MessageKind): MessageDefinition | undefined {
    return this.byKey.get(kindKey(kind));
  }

  /** For a row as stored: its template and subjectType. */
  forRow(row: { template: string; subjectType: string | null }): MessageDefinition | undefined {
    return row.subjectType === null ? undefined : this.byKey.get(kindKey({ template: row.template, subject: row.subjectType }));
  }

  /** The distinct template names, for the Emails filter. */
  templateNames(): string[] {
    return [...new Set([...this.byKey.values()].map((d) => d.template))].sort();
  }

  carriesSecret(row: { template: string; subjectType: string | null }): boolean {
    return this.forRow(row)?.carriesSecret ?? false;
  }
}
