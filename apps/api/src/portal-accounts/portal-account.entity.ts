import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { PortalAccountStatus } from '@resetdesk/contracts';
import { idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

@Entity('portal_accounts')
/** At most one non-closed account per patient: openMarker is 1 while open, NULL once closed. */
@Index('UQ_portal_accounts_open', ['patientId', 'openMarker'], { unique: true })
@Index('IDX_portal_accounts_practice_status', ['practiceId', 'status'])
export class PortalAccount {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column(idColumn) patientId: string;
  @Column({ type: 'varchar', length: 64 }) username: string;
  /**
   * NFKC + lower-case form. Unique across every account ever, closed ones included: the
   * database, not only the code, guarantees a username is never reused.
   */
  @Index('UQ_portal_accounts_username', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  usernameNormalized: string;
  /** Confusable skeleton (UTS #39): look-alikes such as "rеc1" (Cyrillic е) and "rec1" share one. Unique too. */
  @Index('UQ_portal_accounts_username_skeleton', { unique: true })
  @Column({ type: 'varchar', length: 255 })
  usernameSkeleton: string;
  @Column({ type: 'varchar', length: 16 }) status: PortalAccountStatus;
  @Column({ type: 'tinyint', nullable: true }) openMarker: number | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) passwordHash: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) securityQuestion: string | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) securityAnswerHash: string | null;
  @Column({ type: 'int', default: 0 }) failedLoginCount: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) lockReason: string | null;
  @Column(nullableTimestamp) lockedAt: Date | null;
  /** When a lock for too many failed sign-ins ends by itself; null: until staff unlock it. */
  @Column(nullableTimestamp) lockedUntil: Date | null;
  @Column({ type: 'varchar', length: 32, nullable: true }) closeReason: string | null;
  @Column(nullableTimestamp) closedAt: Date | null;
  @Column(nullableTimestamp) lastLoginAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
  @Column(timestampColumn) updatedAt: Date;
}
