import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { ClinicalEntryKind } from '@resetdesk/contracts';
import { idColumn, timestampColumn } from '../database/columns';

/** One allergy, medication, problem or encounter of a chart. Read-only for ResetDesk. */
@Entity('clinical_entries')
@Index('IDX_clinical_entries_patient', ['patientId', 'kind'])
export class ClinicalEntry {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column(idColumn) patientId: string;
  @Column({ type: 'varchar', length: 16 }) kind: ClinicalEntryKind;
  @Column({ type: 'varchar', length: 32, nullable: true }) code: string | null;
  @Column({ type: 'varchar', length: 255 }) description: string;
  @Column({ type: 'varchar', length: 32 }) status: string;
  @Column({ type: 'date' }) recordedOn: string;
  @Column({ type: 'text', nullable: true }) notes: string | null;
  @Column(timestampColumn) createdAt: Date;
}
