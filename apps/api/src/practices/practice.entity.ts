import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { StaffMfaSetting } from '@resetdesk/contracts';
import { idColumn, timestampColumn } from '../database/columns';

@Entity('practices')
export class Practice {
  @PrimaryColumn(idColumn) id: string;
  @Column({ type: 'varchar', length: 160 }) name: string;
  @Index('UQ_practices_slug', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  slug: string;
  @Column({ type: 'varchar', length: 32 }) phone: string;
  @Column({ type: 'varchar', length: 64 }) timeZone: string;
  @Column({ type: 'boolean', width: 1, default: true }) allowSecurityQuestions: boolean;
  /** `required`: every staff member signs in with a second factor; `optional`: those who enrolled one. */
  @Column({ type: 'varchar', length: 16, default: 'required' }) staffMfa: StaffMfaSetting;
  @Column(timestampColumn) createdAt: Date;
}
