import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hashColumn, idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

/** One single-use recovery code, stored as an HMAC keyed from APP_SECRET; shown to its owner once. */
@Entity('staff_recovery_codes')
@Index('IDX_staff_recovery_codes_user', ['staffUserId', 'codeHash'])
export class StaffRecoveryCode {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) staffUserId: string;
  @Column(hashColumn) codeHash: string;
  @Column(nullableTimestamp) usedAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
}
