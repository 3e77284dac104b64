import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MessageChannel } from '@resetdesk/contracts';
import { hashColumn, idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

/** A 6-digit code sent by text or voice to the chart's phone, for a registration or a recovery. */
@Entity('verification_codes')
@Index('IDX_verification_codes_subject', ['subjectType', 'subjectId', 'createdAt'])
export class VerificationCode {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 32 }) subjectType: 'registration_invitation' | 'password_reset';
  @Column(idColumn) subjectId: string;
  @Column(hashColumn) codeHash: string;
  @Column({ type: 'varchar', length: 8 }) channel: MessageChannel;
  @Column(timestampColumn) expiresAt: Date;
  @Column(nullableTimestamp) usedAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
}
