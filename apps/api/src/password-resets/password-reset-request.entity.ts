import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hashColumn, idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

export type PasswordResetStatus = 'pending' | 'used' | 'revoked' | 'expired' | 'locked';

/** A self-service password-reset link. A staff reset revokes every pending one. */
@Entity('password_reset_requests')
@Index('IDX_password_reset_requests_account', ['portalAccountId', 'status'])
@Index('IDX_password_reset_requests_patient', ['patientId', 'status'])
export class PasswordResetRequest {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column(idColumn) patientId: string;
  @Column(idColumn) portalAccountId: string;
  @Index('UQ_password_reset_requests_token', { unique: true })
  @Column(hashColumn)
  tokenHash: string;
  @Column({ type: 'varchar', length: 16 }) status: PasswordResetStatus;
  @Column(timestampColumn) expiresAt: Date;
  @Column({ type: 'int', default: 0 }) failedAttempts: number;
  @Column(nullableTimestamp) verifiedAt: Date | null;
  @Column(nullableTimestamp) usedAt: Date | null;
  @Column(nullableTimestamp) revokedAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
}
