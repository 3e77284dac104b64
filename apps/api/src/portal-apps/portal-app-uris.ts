/**
 * Where a portal app may have ResetDesk send patients and logout tokens: https anywhere, plain
 * http only to the machine itself (a developer's laptop), never a fragment or credentials.
 */
export function uriProblem(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0) return 'Enter an absolute URI.';
  if (raw.length > 2000) return 'A URI can be at most 2000 characters.';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${raw} is not an absolute URI.`;
  }
  if (url.hash || raw.includes('#')) return 'A URI cannot have a fragment (#).';
  if (url.username || url.password) return 'A URI cannot carry a user name or password.';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1')) return null;
  return 'Use https (plain http only for http://localhost or http://127.0.0.1).';
}

/** The first problem of a list of URIs, naming which one; null when all are fine. */
export function uriListProblem(raw: unknown, options: { required: boolean; max: number }): string | null {
  if (raw === undefined || raw === null) return options.required ? 'Add at least one URI.' : null;
  if (!Array.isArray(raw)) return 'Give a list of URIs.';
  if (options.required && raw.length === 0) return 'Add at least one URI.';
  if (raw.length > options.max) return `At most ${options.max} URIs.`;
  for (const item of raw) {
    const problem = uriProblem(item);
    if (problem) return problem;
  }
  return null;
}
