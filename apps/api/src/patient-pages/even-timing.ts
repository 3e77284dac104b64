import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How long the "we sent you an email if…" answers take at least. Both branches already do the
 * same lookups, but only the known one writes (link, outbox row, audit event); the floor hides
 * that difference, and any other, unless the database is slower than the floor itself.
 */
export const ENUMERATION_SAFE_FLOOR_MS = 250;

/** Runs the work and answers no sooner than `floorMs` after it started, whichever way it went. */
export async function withTimingFloor<T>(work: () => Promise<T>, floorMs = ENUMERATION_SAFE_FLOOR_MS): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    const left = floorMs - (performance.now() - started);
    if (left > 0) await sleep(left);
  }
}
