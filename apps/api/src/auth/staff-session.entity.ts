import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hashColumn, idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

/** Server-side session: the cookie carries a random token, the row only its SHA-256. */
@Entity('staff_sessions')
@Index('IDX_staff_sessions_user', ['staffUserId'])
export class StaffSession {
  @PrimaryColumn(idColumn) id: string;
  @Index('UQ_staff_sessions_token', { unique: true })
  @Column(hashColumn)
  tokenHash: string;
  @Column(idColumn) staffUserId: string;
  @Column(idColumn) practiceId: string;
  @Column(timestampColumn) createdAt: Date;
  @Column(timestampColumn) lastSeenAt: Date;
  @Column(timestampColumn) expiresAt: Date;
  @Column(nullableTimestamp) revokedAt: Date | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) userAgent: string | null;
}
