import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { isDeadlock } from './db-errors';

/**
 * Runs multi-step writes as one transaction. On MySQL each transaction has its own pooled
 * connection and rows are locked with SELECT … FOR UPDATE. The embedded SQLite driver shares one
 * connection, so transactions there are queued one after another instead; SQLite has no row
 * locks, and running them serially is what makes the same code correct on both.
 */
@Injectable()
export class UnitOfWork {
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.isMysql) return this.runOnMysql(work);
    const next = this.sqliteQueue.then(() => this.dataSource.transaction(work));
    this.sqliteQueue = next.catch(() => undefined);
    return next;
  }

  /** A deadlock victim was rolled back whole, so running it again from the start is safe. */
  private async runOnMysql<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOnceOnMysql(work);
      } catch (error) {
        if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlock(error)) throw error;
      }
    }
  }

  /**
   * READ COMMITTED, set once per pooled connection rather than before every transaction: a
   * `SET TRANSACTION` per transaction is one more round trip on every write.
   */
  private async runOnceOnMysql<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      const connection = (await runner.connect()) as object;
      if (!readCommittedConnections.has(connection)) {
        await runner.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        readCommittedConnections.add(connection);
      }
      await runner.startTransaction();
      try {
        const result = await work(runner.manager);
        await runner.commitTransaction();
        return result;
      } catch (error) {
        // A failed rollback (say, the connection dropped) must not hide why the work failed.
        await runner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await runner.release();
    }
  }

  /** Adds FOR UPDATE where the database has row locks. */
  forUpdate<E extends ObjectLiteral>(qb: SelectQueryBuilder<E>): SelectQueryBuilder<E> {
    return this.isMysql ? qb.setLock('pessimistic_write') : qb;
  }

  /** Adds FOR UPDATE SKIP LOCKED where supported, so several dispatchers claim different rows. */
  forUpdateSkipLocked<E extends ObjectLiteral>(qb: SelectQueryBuilder<E>): SelectQueryBuilder<E> {
    return this.isMysql ? qb.setLock('pessimistic_write').setOnLocked('skip_locked') : qb;
  }
}

const DEADLOCK_ATTEMPTS = 3;

/** The pooled MySQL connections whose session isolation is already READ COMMITTED. */
const readCommittedConnections = new WeakSet<object>();
