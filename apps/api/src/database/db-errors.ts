/** A unique-index violation, as MySQL/MariaDB (ER_DUP_ENTRY) or SQLite report it. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; driverError?: { code?: string; errno?: number } } | null;
  const code = e?.driverError?.code ?? e?.code;
  const errno = e?.driverError?.errno ?? e?.errno;
  return code === 'ER_DUP_ENTRY' || errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
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
