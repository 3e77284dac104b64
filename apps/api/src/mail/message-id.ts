/**
 * The Message-ID of an outbox message: the same on every attempt, so a message delivered twice
 * (its sender stopped after the mail server accepted it, before the outcome was recorded) is one
 * message to mail clients, which thread or drop the repeat, and recognisably a repeat to anyone
 * reading headers. The domain part is PUBLIC_URL's host: ours, and unique to this deployment.
 */
export function stableMessageId(outboxMessageId: string, publicUrl: string): string {
  let host = '';
  try {
    host = new URL(publicUrl).hostname;
  } catch {
    // An unparseable PUBLIC_URL fails config validation first; this keeps the header well-formed anyway.
  }
  return `<${outboxMessageId}@${host || 'resetdesk.invalid'}>`;
}
