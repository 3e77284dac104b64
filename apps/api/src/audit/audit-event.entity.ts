import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AuditAction, AuditActorType } from '@resetdesk/contracts';
import { hashColumn, idColumn, timestampColumn } from '../database/columns';

/** Append-only; each row's hash covers its content and the previous row's hash in its practice. */
@Entity('audit_events')
@Index('UQ_audit_events_practice_seq', ['practiceId', 'seq'], { unique: true })
@Index('IDX_audit_events_practice_created', ['practiceId', 'createdAt'])
@Index('IDX_audit_events_practice_action', ['practiceId', 'action', 'createdAt'])
@Index('IDX_audit_events_patient', ['patientId', 'createdAt'])
@Index('IDX_audit_events_actor', ['actorId', 'createdAt'])
export class AuditEvent {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'int' }) seq: number;
  @Column({ type: 'varchar', length: 64 }) action: AuditAction;
  @Column({ type: 'varchar', length: 16 }) actorType: AuditActorType;
  @Column({ type: 'varchar', length: 36, nullable: true }) actorId: string | null;
  @Column({ type: 'varchar', length: 160, nullable: true }) actorName: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) patientId: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) reason: string | null;
  /** JSON text, serialised once so the hash covers exactly what is stored. */
  @Column({ type: 'text' }) details: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) ip: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) userAgent: string | null;
  @Column(timestampColumn) createdAt: Date;
  @Column(hashColumn) hash: string;
  @Column({ type: 'varchar', length: 64, nullable: true }) prevHash: string | null;
}

/** One row per practice: the tip of its chain, locked while an event is appended. */
@Entity('audit_chain_heads')
export class AuditChainHead {
  @PrimaryColumn(idColumn) practiceId: string;
  @Column({ type: 'int' }) lastSeq: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) lastHash: string | null;
  /** Events from this seq on are hashed with the chain key; earlier ones (written before it) plainly. */
  @Column({ type: 'int', default: 1 }) keyedFromSeq: number;
}
