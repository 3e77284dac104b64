import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, nullableTimestamp, timestampColumn } from '../database/columns';

export type StaffMfaFactorKind = 'totp' | 'webauthn';

/**
 * A staff member's second factor: an authenticator app (TOTP, its secret sealed under a key
 * derived from APP_SECRET) or a passkey (its public key only). A TOTP factor is unconfirmed
 * until the first code from the app proves the enrolment worked.
 */
@Entity('staff_mfa_factors')
@Index('IDX_staff_mfa_factors_user', ['staffUserId', 'kind'])
export class StaffMfaFactor {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) staffUserId: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 16 }) kind: StaffMfaFactorKind;
  @Column({ type: 'varchar', length: 100 }) name: string;
  @Column({ type: 'text', nullable: true }) sealedSecret: string | null;
  /** The last TOTP time step accepted: a code is good once, even inside its window. */
  @Column({ type: 'integer', nullable: true }) lastUsedStep: number | null;
  @Index('UQ_staff_mfa_factors_credential', { unique: true })
  @Column({ type: 'varchar', length: 255, nullable: true })
  credentialId: string | null;
  @Column({ type: 'text', nullable: true }) publicKey: string | null;
  @Column({ type: 'integer', nullable: true }) signCount: number | null;
  @Column({ type: 'varchar', length: 255, nullable: true }) transports: string | null;
  @Column(nullableTimestamp) confirmedAt: Date | null;
  @Column(nullableTimestamp) lastUsedAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
}
