import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hashColumn, idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

/** A patient's portal sign-in; a reset revokes every one of the closed account. */
@Entity('portal_sessions')
@Index('IDX_portal_sessions_account', ['portalAccountId'])
export class PortalSession {
  @PrimaryColumn(idColumn) id: string;
  @Index('UQ_portal_sessions_token', { unique: true })
  @Column(hashColumn)
  tokenHash: string;
  @Column(idColumn) practiceId: string;
  @Column(idColumn) portalAccountId: string;
  @Column(timestampColumn) createdAt: Date;
  @Column(timestampColumn) lastSeenAt: Date;
  @Column(timestampColumn) expiresAt: Date;
  @Column(nullableTimestamp) revokedAt: Date | null;
}
