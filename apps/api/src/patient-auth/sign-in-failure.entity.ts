import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, timestampColumn } from '../database/columns';

/**
 * One failed patient sign-in, counted against its client address and its username (one row
 * each). The subject is a keyed hash: the table is about rates, not about who typed what or from
 * where. Rows older than the window are deleted as new ones are written.
 */
@Entity('sign_in_failures')
@Index('IDX_sign_in_failures_subject', ['subjectKey', 'createdAt'])
export class SignInFailure {
  @PrimaryColumn(idColumn) id: string;
  @Column({ type: 'varchar', length: 64 }) subjectKey: string;
  @Column(timestampColumn) createdAt: Date;
}
