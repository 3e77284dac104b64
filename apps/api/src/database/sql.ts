import { EntityManager, EntityMetadata, EntityTarget, ObjectLiteral, QueryFailedError, QueryRunner } from 'typeorm';
import { DateUtils } from 'typeorm/util/DateUtils';

/**
 * Hand-written statements for the hot paths (a staff request's session lookup, the desk actions,
 * audit appends): plain SQL with positional `?` values that reads the same on MySQL and SQLite.
 *
 * Why not the query builder there: on this stack TypeORM spends more CPU building and aliasing a
 * query than mysql2 and the server spend running it (about 2 ms of a reset's 8 ms), and the
 * built SQL cannot merge lookups the way one join can. What stays from TypeORM is what makes
 * values correct: rows are hydrated and values bound through the driver and the entity metadata,
 * so a Date, a boolean or a DATE column means exactly what it means everywhere else.
 */
export class Sql {
  private constructor(
    private readonly manager: EntityManager,
    readonly isMysql: boolean,
  ) {}

  static on(manager: EntityManager): Sql {
    return new Sql(manager, manager.connection.options.type === 'mysql');
  }

  /** ` FOR UPDATE` where the database has row locks (SQLite serialises whole transactions instead; see UnitOfWork). */
  get forUpdate(): string {
    return this.isMysql ? ' FOR UPDATE' : '';
  }

  /** A timestamp as the driver stores it: MySQL binds Dates itself, better-sqlite3 cannot. */
  timestamp(value: Date): Date | string {
    return this.isMysql ? value : DateUtils.mixedDateToUtcDatetimeString(value);
  }

  /** Raw rows, for columns that are not one entity's (counts, joined flags, aliases). */
  async rows<T extends ObjectLiteral>(sql: string, params: unknown[]): Promise<T[]> {
    const result = await this.run(sql, params);
    return (result.records ?? []) as T[];
  }

  /** Rows of `entity`, hydrated as TypeORM hydrates them; with a prefix, from columns aliased `${prefix}_${column}` (see columns()). */
  async select<E extends ObjectLiteral>(entity: EntityTarget<E>, sql: string, params: unknown[], prefix?: string): Promise<E[]> {
    const rows = await this.rows(sql, params);
    return rows.map((row) => this.hydrate(entity, row, prefix));
  }

  /** An UPDATE or DELETE; answers the number of rows it matched. */
  async execute(sql: string, params: unknown[]): Promise<number> {
    const result = await this.run(sql, params);
    return result.affected ?? 0;
  }

  /** Inserts one complete row (every column given, so nothing needs reading back). */
  async insert<E extends ObjectLiteral>(entity: EntityTarget<E>, row: E): Promise<void> {
    const metadata = this.metadata(entity);
    const columns = metadata.columns;
    const sql = cached(insertSql, metadata, () => {
      const names = columns.map((column) => this.quote(column.databaseName)).join(', ');
      return `INSERT INTO ${this.quote(metadata.tableName)} (${names}) VALUES (${columns.map(() => '?').join(', ')})`;
    });
    const driver = this.manager.connection.driver;
    await this.run(
      sql,
      columns.map((column) => driver.preparePersistentValue(column.getEntityValue(row), column)),
    );
  }

  /** `alias.column AS alias_column, …` for every column of `entity`: a join's share of the select list, read back by select(…, prefix). */
  columns(entity: EntityTarget<ObjectLiteral>, alias: string): string {
    const metadata = this.metadata(entity);
    return cached(columnLists, metadata, () => new Map<string, string>()).get(alias) ?? this.buildColumns(metadata, alias);
  }

  hydrate<E extends ObjectLiteral>(entity: EntityTarget<E>, row: ObjectLiteral, prefix?: string): E {
    const metadata = this.metadata(entity);
    const driver = this.manager.connection.driver;
    const hydrated = metadata.create() as E;
    for (const column of metadata.columns) {
      const raw = row[prefix ? `${prefix}_${column.databaseName}` : column.databaseName];
      column.setEntityValue(hydrated, driver.prepareHydratedValue(raw, column));
    }
    return hydrated;
  }

  private buildColumns(metadata: EntityMetadata, alias: string): string {
    const list = metadata.columns.map((column) => `${alias}.${this.quote(column.databaseName)} AS ${this.quote(`${alias}_${column.databaseName}`)}`).join(', ');
    columnLists.get(metadata)!.set(alias, list);
    return list;
  }

  private metadata(entity: EntityTarget<ObjectLiteral>): EntityMetadata {
    return this.manager.connection.getMetadata(entity);
  }

  private quote(name: string): string {
    return this.isMysql ? `\`${name}\`` : `"${name}"`;
  }

  private async run(sql: string, params: unknown[]): Promise<{ records?: ObjectLiteral[]; affected?: number }> {
    // Inside a transaction the manager carries its query runner; outside, borrow one for the statement.
    const runner: QueryRunner = this.manager.queryRunner ?? this.manager.connection.createQueryRunner();
    try {
      if (!this.isMysql) return await runner.query(sql, params, true);
      // Straight to the mysql2 connection the runner holds: TypeORM's wrapper adds logging and
      // subscriber broadcasts this app does not use, and several promises per statement.
      return await mysqlQuery((await runner.connect()) as MysqlConnection, sql, params);
    } finally {
      if (runner !== this.manager.queryRunner) await runner.release();
    }
  }
}

interface MysqlConnection {
  query(sql: string, values: unknown[], callback: (error: Error | null, result: unknown) => void): void;
}

function mysqlQuery(connection: MysqlConnection, sql: string, params: unknown[]): Promise<{ records?: ObjectLiteral[]; affected?: number }> {
  return new Promise((resolve, reject) =>
    connection.query(sql, params, (error, result) => {
      if (error) return reject(new QueryFailedError(sql, params, error));
      if (Array.isArray(result)) return resolve({ records: result as ObjectLiteral[] });
      resolve({ affected: (result as { affectedRows?: number }).affectedRows ?? 0 });
    }),
  );
}

const insertSql = new WeakMap<EntityMetadata, string>();
const columnLists = new WeakMap<EntityMetadata, Map<string, string>>();

function cached<V>(cache: WeakMap<EntityMetadata, V>, metadata: EntityMetadata, build: () => V): V {
  let value = cache.get(metadata);
  if (value === undefined) {
    value = build();
    cache.set(metadata, value);
  }
  return value;
}
