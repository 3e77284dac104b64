import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, timestampColumn } from '../database/columns';

/**
 * The `sub` portal apps know a patient by: random, made once per patient chart, so it survives
 * resets and re-registration (the account changes, the chart does not), says nothing about the
 * MRN, username or email, and differs between practices (each practice has its own charts).
 */
@Entity('portal_subjects')
@Index('UQ_portal_subjects_subject', ['subject'], { unique: true })
export class PortalSubject {
  @PrimaryColumn(idColumn) patientId: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 36 }) subject: string;
  @Column(timestampColumn) createdAt: Date;
}
