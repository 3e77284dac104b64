import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

export type PatientInactiveReason = 'inactive' | 'deceased';

/** Chart demographics. ResetDesk reads this row; only the seed and imports write it. */
@Entity('patients')
@Index('UQ_patients_practice_mrn', ['practiceId', 'mrn'], { unique: true })
// `id` before `email`: name order with the id tie-break straight from the index (see patient-search.ts).
@Index('IDX_patients_practice_last_first', ['practiceId', 'lastName', 'firstName', 'id', 'email'])
@Index('IDX_patients_practice_first', ['practiceId', 'firstName', 'lastName'])
@Index('IDX_patients_practice_email', ['practiceId', 'email', 'lastName', 'firstName'])
@Index('IDX_patients_practice_phone', ['practiceId', 'phoneDigits'])
@Index('IDX_patients_practice_dob', ['practiceId', 'dateOfBirth'])
@Index('UQ_patients_practice_fhir', ['practiceId', 'fhirId'], { unique: true })
export class Patient {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 64 }) mrn: string;
  @Column({ type: 'varchar', length: 100 }) firstName: string;
  @Column({ type: 'varchar', length: 100 }) lastName: string;
  /** YYYY-MM-DD; a calendar date, never a timestamp. */
  @Column({ type: 'date' }) dateOfBirth: string;
  @Column({ type: 'varchar', length: 16 }) sex: string;
  @Column({ type: 'varchar', length: 254, nullable: true }) email: string | null;
  /** E.164, e.g. +15035550123. */
  @Column({ type: 'varchar', length: 20, nullable: true }) phone: string | null;
  /** The phone's digits only, for exact search. */
  @Column({ type: 'varchar', length: 20, nullable: true }) phoneDigits: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) addressLine1: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) addressLine2: string | null;
  @Column({ type: 'varchar', length: 100, nullable: true }) city: string | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) state: string | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) postalCode: string | null;
  /** `Patient.id` in the EHR the chart was imported from; the import's identity of the chart. */
  @Column({ type: 'varchar', length: 64, nullable: true }) fhirId: string | null;
  /** False when the EHR marks the chart inactive or the patient deceased: no portal reset then. */
  @Column({ type: 'boolean', width: 1, default: true }) active: boolean;
  @Column({ type: 'varchar', length: 16, nullable: true }) inactiveReason: PatientInactiveReason | null;
  /** When an import last changed the chart's email or phone (a reset soon after is a takeover pattern). */
  @Column(nullableTimestamp) contactChangedAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
  @Column(timestampColumn) updatedAt: Date;
}
