/**
 * The questions a patient may pick at registration. The text itself is stored on the account
 * (the recovery pages show it back), so existing wording must never change: add, don't edit.
 */
export const SECURITY_QUESTIONS = [
  'What was the name of your first pet?',
  'In what city were you born?',
  'What was the make of your first car?',
  'What is the name of the street you grew up on?',
] as const;

export function isSecurityQuestion(value: string): boolean {
  return (SECURITY_QUESTIONS as readonly string[]).includes(value);
}
