import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { InvitationStatus } from '@resetdesk/contracts';
import { hashColumn, idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

@Entity('registration_invitations')
/** At most one pending invitation per patient: pendingMarker is 1 while pending, else NULL. */
@Index('UQ_registration_invitations_pending', ['patientId', 'pendingMarker'], { unique: true })
@Index('IDX_registration_invitations_practice_status', ['practiceId', 'status', 'expiresAt'])
export class RegistrationInvitation {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column(idColumn) patientId: string;
  /** SHA-256 of the link token; the token itself exists only in the email. */
  @Index('UQ_registration_invitations_token', { unique: true })
  @Column(hashColumn)
  tokenHash: string;
  /** HMAC-SHA-256 of the 6-digit PIN, keyed from APP_SECRET. */
  @Column(hashColumn) pinHash: string;
  @Column({ type: 'varchar', length: 16 }) status: InvitationStatus;
  @Column({ type: 'tinyint', nullable: true }) pendingMarker: number | null;
  @Column({ type: 'varchar', length: 254 }) sentTo: string;
  @Column(timestampColumn) expiresAt: Date;
  @Column({ type: 'int', default: 0 }) failedAttempts: number;
  @Column(nullableTimestamp) verifiedAt: Date | null;
  @Column({ type: 'varchar', length: 16, nullable: true }) verifiedBy: string | null;
  @Column(nullableTimestamp) usedAt: Date | null;
  @Column(nullableTimestamp) revokedAt: Date | null;
  @Column(nullableTimestamp) lockedAt: Date | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) portalAccountId: string | null;
  @Column({ type: 'varchar', length: 36, nullable: true }) createdByStaffId: string | null;
  @Column(timestampColumn) createdAt: Date;
}
