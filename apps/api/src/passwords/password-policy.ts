import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';

let checker: ZxcvbnFactory | null = null;
function strength(): ZxcvbnFactory {
  checker ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  return checker;
}

export interface PasswordContext {
  username?: string | null;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  /** YYYY-MM-DD */
  dateOfBirth?: string | null;
}

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/**
 * NIST 800-63B style: length, no composition rules, refuse what is common, guessable or made
 * of the person's own details. Returns what to fix, in words a patient can act on; empty when fine.
 */
export function passwordProblems(password: string, context: PasswordContext = {}): string[] {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN) problems.push(`use at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) problems.push(`use at most ${PASSWORD_MAX} characters`);
  const lower = password.toLowerCase();
  const personal: [string, string | null | undefined][] = [
    ['your username', context.username],
    ['your name', context.firstName],
    ['your name', context.lastName],
    ['your email address', context.email?.split('@')[0]],
  ];
  for (const [label, value] of personal) {
    if (value && value.length >= 3 && lower.includes(value.toLowerCase()) && !problems.includes(`do not include ${label}`)) {
      problems.push(`do not include ${label}`);
    }
  }
  if (context.dateOfBirth) {
    const [y, m, d] = context.dateOfBirth.split('-');
    const forms = [`${y}${m}${d}`, `${m}${d}${y}`, `${d}${m}${y}`, `${m}${d}${y!.slice(2)}`, y!];
    if (forms.some((form) => form && password.includes(form))) problems.push('do not include your date of birth');
  }
  if (password.length >= PASSWORD_MIN && password.length <= PASSWORD_MAX && problems.length === 0) {
    const inputs = [context.username, context.firstName, context.lastName, context.email].filter((v): v is string => !!v);
    const result = strength().check(password, inputs);
    if (result.score < 3) {
      const hint = result.feedback.warning ? `${result.feedback.warning.replace(/\.$/, '')}: ` : '';
      problems.push(`${hint}choose something harder to guess, such as a few unrelated words`);
    }
  }
  return problems;
}
