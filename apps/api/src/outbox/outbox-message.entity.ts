import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { MessageChannel, OutboxStatus } from '@resetdesk/contracts';
import { idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

/**
 * An email, text or voice message, written in the same transaction as the change that causes
 * it and delivered after commit. It holds ids and a template name; the link token, when the
 * message needs one, is kept encrypted with APP_SECRET and erased once the message is sent.
 */
@Entity('outbox_messages')
@Index('IDX_outbox_due', ['status', 'nextAttemptAt'])
@Index('IDX_outbox_practice_created', ['practiceId', 'createdAt'])
@Index('IDX_outbox_subject', ['subjectType', 'subjectId'])
export class OutboxMessage {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 36, nullable: true }) patientId: string | null;
  @Column({ type: 'varchar', length: 32 }) channel: MessageChannel;
  @Column({ type: 'varchar', length: 64 }) template: string;
  @Column({ type: 'varchar', length: 254 }) toAddress: string;
  @Column({ type: 'varchar', length: 32, nullable: true }) subjectType: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) subjectId: string | null;
  /** AES-256-GCM of a secret the message must carry (a link token or a code); NULL once sent. */
  @Column({ type: 'text', nullable: true }) sealedSecret: string | null;
  @Column({ type: 'varchar', length: 16 }) status: OutboxStatus;
  @Column({ type: 'int', default: 0 }) attempts: number;
  @Column({ type: 'int', default: 8 }) maxAttempts: number;
  @Column(timestampColumn) nextAttemptAt: Date;
  @Column(nullableTimestamp) claimedUntil: Date | null;
  @Column({ type: 'varchar', length: 1000, nullable: true }) lastError: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) subject: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) providerMessageId: string | null;
  @Column(nullableTimestamp) sentAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
  @Column(timestampColumn) updatedAt: Date;
}
