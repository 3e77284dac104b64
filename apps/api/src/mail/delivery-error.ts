/**
 * A message that must not be sent at all (its invitation was revoked, its code has expired…).
 * Retrying cannot help, so the dispatcher marks it dead at once instead of backing off.
 */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/** The one-line, secret-free error text stored in outbox_messages.lastError and the audit log. */
export function describeDeliveryError(error: unknown, secrets: (string | null | undefined)[] = [], maxLength = 500): string {
  const candidate = error as { message?: unknown; code?: unknown; responseCode?: unknown; cause?: { code?: unknown; message?: unknown } } | null;
  let text = error instanceof Error ? error.message : typeof candidate?.message === 'string' ? candidate.message : String(error);
  // fetch() reports "fetch failed" and hides the useful part (ECONNREFUSED, …) in `cause`.
  const causeCode = typeof candidate?.cause?.code === 'string' ? candidate.cause.code : null;
  if (causeCode && !text.includes(causeCode)) text = `${text} (${causeCode})`;
  const code = typeof candidate?.code === 'string' ? candidate.code : null;
  if (code && !text.includes(code)) text = `${code}: ${text}`;
  for (const secret of secrets) {
    if (secret) text = text.split(secret).join('[redacted]');
  }
  // A provider echoing our request back must not put a live link into the table.
  text = text.replace(/\/(register|reset-password)\/[^\s/?#"'<>]+/g, '/$1/[redacted]');
  // Nor a password from SMTP_URL or SMS_WEBHOOK_URL, should a library quote the URL.
  text = text.replace(/\/\/([^:@/\s]+):([^@/\s]*)@/g, '//$1:***@');
  text = text.replace(/\s+/g, ' ').trim() || 'Unknown delivery error';
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}
