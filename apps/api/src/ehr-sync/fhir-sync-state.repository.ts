import { EntityManager } from 'typeorm';
import { Sql } from '../database/sql';
import { FhirSyncState } from './fhir-sync-state.entity';

/** The SQL of the sync bookkeeping: one row per practice, its lease taken and given back by single statements. */
export class FhirSyncStateRepository {
  async find(manager: EntityManager, practiceId: string): Promise<FhirSyncState | null> {
    const [row] = await Sql.on(manager).select(FhirSyncState, 'SELECT * FROM fhir_sync_states WHERE practiceId = ?', [practiceId]);
    return row ?? null;
  }

  /** The practice named (id, slug or exact name), or null. */
  async findPractice(manager: EntityManager, nameOrId: string): Promise<{ id: string; name: string } | null> {
    const rows = await Sql.on(manager).rows<{ id: string; name: string }>(
      'SELECT id, name FROM practices WHERE id = ? OR slug = ? OR name = ? ORDER BY name LIMIT 2',
      [nameOrId, nameOrId, nameOrId],
    );
    return rows.length === 1 ? rows[0]! : null;
  }

  /**
   * Takes the practice's lease when nobody holds it (or its holder's lease ran out), in one
   * statement, so of several processes asking at once exactly one gets it. `scheduledNext`: a
   * scheduled run, which also needs its time to have come and moves it on.
   */
  async acquire(manager: EntityManager, practiceId: string, owner: string, now: Date, leaseUntil: Date, scheduledNext: Date | null): Promise<boolean> {
    const sql = Sql.on(manager);
    const ignore = sql.isMysql ? 'INSERT IGNORE' : 'INSERT OR IGNORE';
    await sql.execute(`${ignore} INTO fhir_sync_states (practiceId, updatedAt) VALUES (?, ?)`, [practiceId, sql.timestamp(now)]);
    const due = scheduledNext ? ' AND (nextRunAt IS NULL OR nextRunAt <= ?)' : '';
    const taken = await sql.execute(
      `UPDATE fhir_sync_states SET leaseOwner = ?, leaseExpiresAt = ?, updatedAt = ?${scheduledNext ? ', nextRunAt = ?' : ''}
       WHERE practiceId = ? AND (leaseOwner IS NULL OR leaseExpiresAt < ?)${due}`,
      [
        owner,
        sql.timestamp(leaseUntil),
        sql.timestamp(now),
        ...(scheduledNext ? [sql.timestamp(scheduledNext)] : []),
        practiceId,
        sql.timestamp(now),
        ...(scheduledNext ? [sql.timestamp(now)] : []),
      ],
    );
    return taken === 1;
  }

  /** Extends our lease; false when it is no longer ours (it ran out and another process took it). */
  async renew(manager: EntityManager, practiceId: string, owner: string, leaseUntil: Date): Promise<boolean> {
    const sql = Sql.on(manager);
    return (
      (await sql.execute('UPDATE fhir_sync_states SET leaseExpiresAt = ? WHERE practiceId = ? AND leaseOwner = ?', [
        sql.timestamp(leaseUntil),
        practiceId,
        owner,
      ])) === 1
    );
  }

  /** Records a whole export imported: its transactionTime is the next run's `_since`. Only the lease holder may. */
  async complete(manager: EntityManager, practiceId: string, owner: string, transactionTime: string, importId: string, now: Date): Promise<boolean> {
    const sql = Sql.on(manager);
    const updated = await sql.execute(
      'UPDATE fhir_sync_states SET lastTransactionTime = ?, lastCompletedAt = ?, lastImportId = ?, updatedAt = ? WHERE practiceId = ? AND leaseOwner = ?',
      [transactionTime, sql.timestamp(now), importId, sql.timestamp(now), practiceId, owner],
    );
    return updated === 1;
  }

  async release(manager: EntityManager, practiceId: string, owner: string): Promise<void> {
    await Sql.on(manager).execute('UPDATE fhir_sync_states SET leaseOwner = NULL, leaseExpiresAt = NULL WHERE practiceId = ? AND leaseOwner = ?', [
      practiceId,
      owner,
    ]);
  }
}
