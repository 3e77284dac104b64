import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { StaffRole } from '@resetdesk/contracts';
import { idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

@Entity('staff_users')
@Index('IDX_staff_users_practice', ['practiceId', 'name'])
export class StaffUser {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  /** Lower-cased; unique across practices so sign-in needs only the address. */
  @Index('UQ_staff_users_email', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  email: string;
  @Column({ type: 'varchar', length: 160 }) name: string;
  @Column({ type: 'varchar', length: 32 }) role: StaffRole;
  @Column({ type: 'varchar', length: 255 }) passwordHash: string;
  @Column({ type: 'boolean', width: 1, default: true }) active: boolean;
  @Column(nullableTimestamp) lastLoginAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
  @Column(timestampColumn) updatedAt: Date;
}
