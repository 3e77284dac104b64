/** First retry after about 30 s, then doubling: 1, 2, 4, 8, 16, 32 min, never more than an hour apart. */
export const RETRY_BASE_MS = 30_000;
export const RETRY_CAP_MS = 60 * 60_000;
/** ±20 %, so messages that failed together (an SMTP outage) do not all come back in the same second. */
export const RETRY_JITTER = 0.2;

/** How long to wait before the next attempt, after `attempts` failed ones (1 or more). */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const exponential = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
  const jittered = exponential * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random());
  return Math.round(Math.min(RETRY_CAP_MS, jittered));
}
