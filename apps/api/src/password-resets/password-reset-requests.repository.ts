import { EntityManager, In } from 'typeorm';
import { Sql } from '../database/sql';
import { PasswordResetRequest } from './password-reset-request.entity';

/** The SQL of `password_reset_requests`: requested and spent by recovery, revoked by a staff reset. */
export class PasswordResetRequestsRepository {
  private constructor(private readonly manager: EntityManager) {}

  static on(manager: EntityManager): PasswordResetRequestsRepository {
    return new PasswordResetRequestsRepository(manager);
  }

  insert(request: PasswordResetRequest): Promise<unknown> {
    return this.manager.insert(PasswordResetRequest, request);
  }

  pendingOfAccount(portalAccountId: string): Promise<PasswordResetRequest[]> {
    return this.manager.find(PasswordResetRequest, { where: { portalAccountId, status: 'pending' } });
  }

  async revoke(ids: string[], now: Date): Promise<void> {
    if (ids.length) await this.manager.update(PasswordResetRequest, { id: In(ids) }, { status: 'revoked', revokedAt: now });
  }

  /** A staff reset voids every pending link of the patient; answers how many. */
  revokePendingOfPatient(practiceId: string, patientId: string, now: Date): Promise<number> {
    const sql = Sql.on(this.manager);
    return sql.execute("UPDATE password_reset_requests SET status = 'revoked', revokedAt = ? WHERE patientId = ? AND practiceId = ? AND status = 'pending'", [
      sql.timestamp(now),
      patientId,
      practiceId,
    ]);
  }

  /** One more wrong answer; with `lock`, the link locks. */
  async recordFailedAttempt(id: string, failedAttempts: number, lock: boolean): Promise<void> {
    await this.manager.update(PasswordResetRequest, { id }, lock ? { failedAttempts, status: 'locked' } : { failedAttempts });
  }

  async markVerified(id: string, verifiedAt: Date): Promise<void> {
    await this.manager.update(PasswordResetRequest, { id }, { verifiedAt });
  }

  async markUsed(id: string, now: Date): Promise<void> {
    await this.manager.update(PasswordResetRequest, { id }, { status: 'used', usedAt: now });
  }
}
