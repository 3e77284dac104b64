/**
 * What only the registration pages ask for; the fields every patient page shares (date of
 * birth, phone, code, passwords) are read and checked in patient-pages/patient-form.ts.
 */

export function pinProblem(raw: string): string | null {
  const pin = raw.trim();
  if (!pin) return "Enter the 6-digit PIN your doctor's office gave you.";
  return /^\d{6}$/.test(pin) ? null : 'The PIN is 6 digits, for example 012345.';
}
