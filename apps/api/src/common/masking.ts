/** `alice@example.com` → `a***@example.com`: enough for staff to confirm, not to harvest. */
export function maskEmail(email: string | null | undefined): string {
  if (!email) return '';
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** `+15035550123` → `***-***-0123`. */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  return `***-***-${phone.replace(/\D/g, '').slice(-4)}`;
}

export function iso(date: Date | null | undefined): string | null {
  return date ? new Date(date).toISOString() : null;
}
