import { Column, Entity, PrimaryColumn } from 'typeorm';
import { idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

/**
 * A practice's EHR sync bookkeeping. `lastTransactionTime` is kept exactly as the server wrote
 * it (the next `_since` must be the server's own instant, not our reading of it), and moves
 * only when a run imported its whole export. The lease (`leaseOwner` until `leaseExpiresAt`)
 * is what keeps two processes from syncing one practice at once; a process that dies simply
 * lets it expire.
 */
@Entity('fhir_sync_states')
export class FhirSyncState {
  @PrimaryColumn(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 40, nullable: true }) lastTransactionTime: string | null;
  @Column(nullableTimestamp) lastCompletedAt: Date | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) lastImportId: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) leaseOwner: string | null;
  @Column(nullableTimestamp) leaseExpiresAt: Date | null;
  /** When the schedule may start the next run (a run started by hand does not wait for it). */
  @Column(nullableTimestamp) nextRunAt: Date | null;
  @Column(timestampColumn) updatedAt: Date;
}
