import { formatPhoneForDisplay } from '../mail/formatting';

/**
 * Reading and checking what patients type on the patient pages (registration, sign-in,
 * recovery). Format problems are reported without counting as a failed attempt: only a
 * well-formed wrong answer is a guess.
 */

export type FieldErrors = Record<string, string>;

/** Copy from the product spec (§4): tests and the office's phone scripts quote these exactly. */
export const MESSAGES = {
  dateOfBirthMismatch: 'Your date of birth does not match our records.',
  phoneMismatch: 'Phone number does not match records',
  secretMismatch: 'Invalid PIN or Security Code',
  passwordsDiffer: 'The passwords do not match.',
  passwordWeak: 'Your password does not meet security requirements:',
} as const;

/** One form field as a string; repeated or missing fields read as empty. */
export function formField(body: unknown, name: string, maxLength = 1000): string {
  const value = (body as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, maxLength) : '';
}

/** The non-null problems, or null when there are none. */
export function collect(problems: Record<string, string | null>): FieldErrors | null {
  const errors = Object.fromEntries(Object.entries(problems).filter((entry): entry is [string, string] => entry[1] !== null));
  return Object.keys(errors).length ? errors : null;
}

/** `19800131`, also with separators a browser's autofill may add: `1980-01-31`. Null when not a real date. */
export function parseDateOfBirth(raw: string): string | null {
  const digits = raw.replace(/[\s./-]/g, '');
  if (!/^\d{8}$/.test(digits)) return null;
  const [y, m, d] = [digits.slice(0, 4), digits.slice(4, 6), digits.slice(6, 8)];
  const date = new Date(`${y}-${m}-${d}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== `${y}-${m}-${d}`) return null;
  return `${y}-${m}-${d}`;
}

export function dateOfBirthProblem(raw: string): string | null {
  if (!raw.trim()) return 'Enter your date of birth as YYYYMMDD, for example 19800131.';
  return parseDateOfBirth(raw) ? null : 'Enter your date of birth as 8 digits, YYYYMMDD, for example 19800131.';
}

/**
 * Phone numbers compare by digits: "(503) 555-0123", "503-555-0123" and "+1 503 555 0123" are
 * one number. Ten North American digits get their country code 1.
 */
export function phoneDigits(raw: string | null | undefined): string {
  const digits = (raw ?? '').replace(/\D/g, '');
  return digits.length === 10 ? `1${digits}` : digits;
}

/** True when the typed number is the chart's phone (a chart without one matches nothing). */
export function phoneMatchesChart(chart: { phone: string | null; phoneDigits: string | null }, typed: string): boolean {
  const chartDigits = phoneDigits(chart.phoneDigits ?? chart.phone);
  return !!chart.phone && !!chartDigits && phoneDigits(typed) === chartDigits;
}

export function phoneProblem(raw: string): string | null {
  if (!raw.trim()) return "Enter the phone number your doctor's office has for you, for example 503-555-0123.";
  if (/[^\d\s()+.-]/.test(raw) || raw.replace(/\D/g, '').length < 7) return 'Enter a phone number using digits, for example 503-555-0123.';
  return null;
}

export function channelProblem(raw: string): string | null {
  return raw === 'sms' || raw === 'voice' ? null : 'Choose Text or Voice.';
}

export function codeProblem(raw: string): string | null {
  const code = raw.trim();
  if (!code) return 'Enter the 6-digit security code we sent you.';
  return /^\d{6}$/.test(code) ? null : 'The security code is 6 digits, for example 012345.';
}

/** The password and its confirmation, checked against the policy with the person's own details. */
export function newPasswordProblems(
  password: string,
  confirmation: string,
  weaknesses: string[],
  fields: { password: string; confirmation: string },
): FieldErrors | null {
  return collect({
    [fields.password]: !password ? 'Enter a password.' : weaknesses.length ? `${MESSAGES.passwordWeak} ${weaknesses.join('; ')}.` : null,
    [fields.confirmation]: !confirmation ? 'Enter your password again to confirm it.' : password && confirmation !== password ? MESSAGES.passwordsDiffer : null,
  });
}

/** `+15035550100` → `(503) 555-0100`; anything else is shown as stored (the messages' formatter). */
export const displayPhone = formatPhoneForDisplay;
