/**
 * Column shapes shared by every entity, so one definition yields the same schema on MySQL
 * and SQLite (the migrations spell out the same types).
 */
export const idColumn = { type: 'varchar', length: 36 } as const;
export const timestampColumn = { type: 'datetime', precision: 3 } as const;
export const nullableTimestamp = { type: 'datetime', precision: 3, nullable: true } as const;
export const hashColumn = { type: 'varchar', length: 64 } as const;
