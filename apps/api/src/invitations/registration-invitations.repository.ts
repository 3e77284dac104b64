import type { EntityManager } from 'typeorm';
import { Sql } from '../database/sql';
import { RegistrationInvitation } from './registration-invitation.entity';

/** The SQL of `registration_invitations`: issued by desk actions, spent by the registration pages. */
export class RegistrationInvitationsRepository {
  private constructor(private readonly manager: EntityManager) {}

  static on(manager: EntityManager): RegistrationInvitationsRepository {
    return new RegistrationInvitationsRepository(manager);
  }

  insert(invitation: RegistrationInvitation): Promise<void> {
    return Sql.on(this.manager).insert(RegistrationInvitation, invitation);
  }

  async revoke(id: string, now: Date): Promise<void> {
    const sql = Sql.on(this.manager);
    await sql.execute("UPDATE registration_invitations SET status = 'revoked', pendingMarker = NULL, revokedAt = ? WHERE id = ?", [sql.timestamp(now), id]);
  }

  /** One more wrong answer; with `lock`, the link locks for good. */
  async recordFailedAttempt(id: string, failedAttempts: number, lock: boolean, now: Date): Promise<void> {
    await this.manager.update(
      RegistrationInvitation,
      { id },
      lock ? { failedAttempts, status: 'locked', pendingMarker: null, lockedAt: now } : { failedAttempts },
    );
  }

  async markVerified(id: string, verifiedAt: Date, method: 'pin' | 'code'): Promise<void> {
    await this.manager.update(RegistrationInvitation, { id }, { verifiedAt, verifiedBy: method });
  }

  async markUsed(id: string, portalAccountId: string, now: Date): Promise<void> {
    await this.manager.update(RegistrationInvitation, { id }, { status: 'used', usedAt: now, pendingMarker: null, portalAccountId });
  }
}
