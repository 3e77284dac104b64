import { EntityManager, Not } from 'typeorm';
import type { LockReason } from '@resetdesk/contracts';
import { Sql } from '../database/sql';
import { PortalAccount } from './portal-account.entity';

/** The SQL of `portal_accounts`: every feature that changes an account does it through here. */
export class PortalAccountsRepository {
  private constructor(private readonly manager: EntityManager) {}

  static on(manager: EntityManager): PortalAccountsRepository {
    return new PortalAccountsRepository(manager);
  }

  insert(account: PortalAccount): Promise<unknown> {
    return this.manager.insert(PortalAccount, account);
  }

  /** The patient's accounts that are not closed, oldest first. */
  openOfPatient(practiceId: string, patientId: string): Promise<PortalAccount[]> {
    return this.manager.find(PortalAccount, { where: { patientId, practiceId, status: Not('closed') }, order: { createdAt: 'ASC' } });
  }

  /** A staff reset closes the account for good and forgets its credentials; the username stays retired. */
  async closeForReset(id: string, now: Date): Promise<void> {
    const sql = Sql.on(this.manager);
    const at = sql.timestamp(now);
    await sql.execute(
      `UPDATE portal_accounts SET status = 'closed', openMarker = NULL, closeReason = 'reset', closedAt = ?,
         passwordHash = NULL, securityQuestion = NULL, securityAnswerHash = NULL, updatedAt = ? WHERE id = ?`,
      [at, at, id],
    );
  }

  async recordSignIn(id: string, now: Date): Promise<void> {
    await this.manager.update(PortalAccount, { id }, { failedLoginCount: 0, lastLoginAt: now, updatedAt: now });
  }

  /** One more wrong password; with `lockReason`, the account locks, until `lockedUntil` when given. */
  async recordFailedSignIn(id: string, failedLoginCount: number, lockReason: LockReason | null, now: Date, lockedUntil: Date | null = null): Promise<void> {
    await this.manager.update(
      PortalAccount,
      { id },
      lockReason ? { failedLoginCount, status: 'locked', lockReason, lockedAt: now, lockedUntil, updatedAt: now } : { failedLoginCount, updatedAt: now },
    );
  }

  /** A lock for failed sign-ins whose time is up: active again, counting from zero. */
  async endExpiredLock(id: string, now: Date): Promise<void> {
    await this.manager.update(
      PortalAccount,
      { id },
      { status: 'active', lockReason: null, lockedAt: null, lockedUntil: null, failedLoginCount: 0, updatedAt: now },
    );
  }

  async lock(id: string, lockReason: LockReason, now: Date): Promise<void> {
    await this.manager.update(PortalAccount, { id }, { status: 'locked', lockReason, lockedAt: now, updatedAt: now });
  }

  async unlock(id: string, now: Date): Promise<void> {
    await this.manager.update(
      PortalAccount,
      { id },
      { status: 'active', lockReason: null, lockedAt: null, lockedUntil: null, failedLoginCount: 0, updatedAt: now },
    );
  }

  /** A new password also lifts any lock: the patient just proved who they are. */
  async setPassword(id: string, passwordHash: string, now: Date): Promise<void> {
    await this.manager.update(
      PortalAccount,
      { id },
      { passwordHash, status: 'active', lockReason: null, lockedAt: null, lockedUntil: null, failedLoginCount: 0, updatedAt: now },
    );
  }
}
