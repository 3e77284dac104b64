import type { EntityManager } from 'typeorm';
import type { StaffRole } from '@resetdesk/contracts';
import { Sql } from '../database/sql';
import { StaffSession } from './staff-session.entity';

/** A live session's row joined with its user and practice: what every staff request needs. */
export interface StaffSessionRow {
  sessionId: string;
  lastSeenAt: Date | string;
  expiresAt: Date | string;
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  active: boolean | number;
  practiceId: string;
  practiceName: string;
}

/** The SQL of `staff_sessions`: sign-in starts them, sign-out and staff changes end them. */
export class StaffSessionsRepository {
  private constructor(private readonly manager: EntityManager) {}

  static on(manager: EntityManager): StaffSessionsRepository {
    return new StaffSessionsRepository(manager);
  }

  insert(session: StaffSession): Promise<unknown> {
    return this.manager.insert(StaffSession, session);
  }

  /** One round trip per request: the unrevoked session with its user and practice. */
  async findLive(tokenHash: string): Promise<StaffSessionRow | null> {
    const [row] = await Sql.on(this.manager).rows<StaffSessionRow>(
      `SELECT s.id AS sessionId, s.lastSeenAt AS lastSeenAt, s.expiresAt AS expiresAt, u.id AS id, u.email AS email, u.name AS name,
         u.role AS role, u.active AS active, u.practiceId AS practiceId, p.name AS practiceName
       FROM staff_sessions s JOIN staff_users u ON u.id = s.staffUserId JOIN practices p ON p.id = u.practiceId
       WHERE s.tokenHash = ? AND s.revokedAt IS NULL`,
      [tokenHash],
    );
    return row ?? null;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.manager.update(StaffSession, { id }, { lastSeenAt: at });
  }

  async end(id: string, at: Date): Promise<void> {
    await this.manager.update(StaffSession, { id }, { revokedAt: at });
  }

  /** Ends the user's live sessions, except `keepSessionId` when given. */
  async endAllOfUser(staffUserId: string, at: Date, keepSessionId?: string): Promise<void> {
    const revoke = this.manager
      .createQueryBuilder()
      .update(StaffSession)
      .set({ revokedAt: at })
      .where('staffUserId = :staffUserId AND revokedAt IS NULL', { staffUserId });
    if (keepSessionId) revoke.andWhere('id <> :sessionId', { sessionId: keepSessionId });
    await revoke.execute();
  }
}
