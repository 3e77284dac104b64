/**
 * Which unique index a failed insert ran into, on either database: MySQL/MariaDB report
 * ER_DUP_ENTRY (1062) naming the index, SQLite reports the constrained columns.
 */
export function uniqueViolation(error: unknown): { index: string | null } | null {
  const driver = (error as { driverError?: unknown })?.driverError ?? error;
  const { code, errno, message } = (driver ?? {}) as { code?: string; errno?: number; message?: string };
  const text = typeof message === 'string' ? message : '';
  if (code === 'ER_DUP_ENTRY' || errno === 1062) {
    return { index: /for key '(?:[^'.]*\.)?([^']+)'/.exec(text)?.[1] ?? null };
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || /UNIQUE constraint failed/.test(text)) {
    return { index: /UNIQUE constraint failed: (.+)$/.exec(text)?.[1] ?? null };
  }
  return null;
}

/** MySQL picked this transaction as a deadlock victim: safe to run it again from the start. */
export function isDeadlock(error: unknown): boolean {
  const driver = (error as { driverError?: unknown })?.driverError ?? error;
  const { code, errno } = (driver ?? {}) as { code?: string; errno?: number };
  return code === 'ER_LOCK_DEADLOCK' || errno === 1213;
}
