import unhomoglyph from 'unhomoglyph';

export const USERNAME_PATTERN = /^[\p{L}\p{N}._\-@]{4,64}$/u;

/** Usernames compare case-insensitively after NFKC: "Ｊｏｈｎ" and "john" are one name. */
export function normaliseUsername(username: string): string {
  return username.normalize('NFKC').toLowerCase();
}

/**
 * The UTS #39 confusable skeleton of a username, after NFKC and lower-case: names that look alike
 * ("rеc1" with a Cyrillic е, "rec1", "recl") share one, so one of them cannot impersonate another.
 */
export function usernameSkeleton(username: string): string {
  return unhomoglyph(normaliseUsername(username).normalize('NFD')).normalize('NFD');
}

/** A message a patient can act on, or null when the username is acceptable. */
export function usernameProblem(username: string): string | null {
  const normalised = username.normalize('NFKC');
  if (normalised.length < 4) return 'Username must be at least 4 characters.';
  if (normalised.length > 64) return 'Username must be at most 64 characters.';
  if (!USERNAME_PATTERN.test(normalised)) return 'Username can contain only letters, digits and . _ - @';
  return null;
}
