import { EntityManager, IsNull } from 'typeorm';
import { Sql } from '../database/sql';
import { PortalSession } from './portal-session.entity';

/** The SQL of `portal_sessions`: sign-in starts them; sign-out, password changes and resets end them. */
export class PortalSessionsRepository {
  private constructor(private readonly manager: EntityManager) {}

  static on(manager: EntityManager): PortalSessionsRepository {
    return new PortalSessionsRepository(manager);
  }

  insert(session: PortalSession): Promise<unknown> {
    return this.manager.insert(PortalSession, session);
  }

  findLive(tokenHash: string): Promise<PortalSession | null> {
    return this.manager.findOneBy(PortalSession, { tokenHash, revokedAt: IsNull() });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.manager.update(PortalSession, { id }, { lastSeenAt: at });
  }

  async end(id: string, at: Date): Promise<void> {
    await this.manager.update(PortalSession, { id, revokedAt: IsNull() }, { revokedAt: at });
  }

  /** Ends every live session of the account; answers how many. */
  endAllOfAccount(portalAccountId: string, at: Date): Promise<number> {
    const sql = Sql.on(this.manager);
    return sql.execute('UPDATE portal_sessions SET revokedAt = ? WHERE portalAccountId = ? AND revokedAt IS NULL', [sql.timestamp(at), portalAccountId]);
  }
}
