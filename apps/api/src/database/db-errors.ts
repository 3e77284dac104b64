/**
 * Which unique index a failed insert ran into, on either database: MySQL/MariaDB report
 * ER_DUP_ENTRY (1062) naming the index, SQLite reports the constrained columns. Null when the
 * error is not a unique-index violation.
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

/** A unique-index violation, as MySQL/MariaDB (ER_DUP_ENTRY) or SQLite report it. */
export function isUniqueViolation(error: unknown): boolean {
  return uniqueViolation(error) !== null;
}

/**
 * InnoDB chose this transaction as a deadlock victim and rolled it back. It happens in correct
 * code: inserting into a unique index briefly share-locks the neighbouring index entry, which may
 * be another patient's row locked by a concurrent desk action. The cure is to run it again.
 */
export function isDeadlock(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; driverError?: { code?: string; errno?: number } } | null;
  const code = e?.driverError?.code ?? e?.code;
  const errno = e?.driverError?.errno ?? e?.errno;
  return code === 'ER_LOCK_DEADLOCK' || errno === 1213;
}
