import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hashColumn, idColumn, timestampColumn } from '../database/columns';

/** The first answer to a request sent with an Idempotency-Key, replayed for the same key. */
@Entity('idempotency_keys')
@Index('UQ_idempotency_keys_scope', ['practiceId', 'scope', 'key'], { unique: true })
export class IdempotencyKey {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 64 }) scope: string;
  @Column({ type: 'varchar', length: 128 }) key: string;
  @Column(hashColumn) requestHash: string;
  @Column({ type: 'int' }) responseStatus: number;
  /** The response body; for resets it holds the PIN sealed with APP_SECRET, never in clear. */
  @Column({ type: 'text' }) responseBody: string;
  @Column(timestampColumn) createdAt: Date;
}
