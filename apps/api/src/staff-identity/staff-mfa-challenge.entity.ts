import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hashColumn, idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

/**
 * A sign-in between its first step (password or single sign-on) and its second. Its cookie
 * opens the second-step routes (and enrolment when the practice requires a factor the person
 * does not have yet) and nothing else; the row keeps the wrong-code count that ends it.
 */
@Entity('staff_mfa_challenges')
@Index('IDX_staff_mfa_challenges_user', ['staffUserId'])
export class StaffMfaChallenge {
  @PrimaryColumn(idColumn) id: string;
  @Index('UQ_staff_mfa_challenges_token', { unique: true })
  @Column(hashColumn)
  tokenHash: string;
  @Column(idColumn) staffUserId: string;
  @Column(idColumn) practiceId: string;
  /** How the first step was passed: `password` or `sso`. */
  @Column({ type: 'varchar', length: 16 }) method: 'password' | 'sso';
  @Column({ type: 'boolean', width: 1, default: false }) enrolmentRequired: boolean;
  @Column({ type: 'integer', default: 0 }) failedAttempts: number;
  @Column({ type: 'varchar', length: 255, nullable: true }) webauthnChallenge: string | null;
  @Column(timestampColumn) expiresAt: Date;
  @Column(nullableTimestamp) endedAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) userAgent: string | null;
}
