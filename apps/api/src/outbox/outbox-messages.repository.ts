import { Brackets, EntityManager } from 'typeorm';
import { Sql } from '../database/sql';
import { UnitOfWork } from '../database/unit-of-work';
import { OutboxMessage } from './outbox-message.entity';

/**
 * The SQL of `outbox_messages`: features insert through OutboxService; the dispatcher claims and
 * records outcomes; the admin API re-queues. Nothing else writes the table.
 */
export class OutboxMessagesRepository {
  private constructor(private readonly manager: EntityManager) {}

  static on(manager: EntityManager): OutboxMessagesRepository {
    return new OutboxMessagesRepository(manager);
  }

  insert(row: OutboxMessage): Promise<void> {
    return Sql.on(this.manager).insert(OutboxMessage, row);
  }

  /**
   * Due messages, oldest due first, held with FOR UPDATE SKIP LOCKED on MySQL so dispatchers in
   * several processes take different rows: waiting ones whose time has come, and `sending` ones
   * whose claim expired (their sender stopped).
   */
  due(uow: UnitOfWork, now: Date, limit: number): Promise<OutboxMessage[]> {
    return uow
      .forUpdateSkipLocked(
        this.manager
          .createQueryBuilder(OutboxMessage, 'm')
          .where(
            new Brackets((due) => {
              due
                .where('m.status IN (:...waiting) AND m.nextAttemptAt <= :now', { waiting: ['queued', 'retrying'], now })
                .orWhere('m.status = :sending AND m.claimedUntil < :now', { sending: 'sending', now });
            }),
          )
          .orderBy('m.nextAttemptAt', 'ASC')
          .limit(limit),
      )
      .getMany();
  }

  async markSending(ids: string[], claimedUntil: Date, now: Date): Promise<void> {
    if (!ids.length) return;
    await this.manager
      .createQueryBuilder()
      .update(OutboxMessage)
      .set({ status: 'sending', claimedUntil, updatedAt: now })
      .where('id IN (:...ids)', { ids })
      .execute();
  }

  async update(id: string, changes: Partial<OutboxMessage>): Promise<void> {
    await this.manager.update(OutboxMessage, { id }, changes);
  }

  /** Moves a live claim's expiry on; answers false when the claim is no longer ours. */
  async renewClaim(id: string, claimedUntil: Date, renewedUntil: Date): Promise<boolean> {
    return this.updateIfClaimed(id, claimedUntil, { claimedUntil: renewedUntil });
  }

  /** Writes only while the claim identified by `claimedUntil` still holds; answers whether it did. */
  async updateIfClaimed(id: string, claimedUntil: Date, changes: Partial<OutboxMessage>): Promise<boolean> {
    const result = await this.manager
      .createQueryBuilder()
      .update(OutboxMessage)
      .set(changes)
      .where('id = :id AND status = :sending AND claimedUntil = :claimedUntil', { id, sending: 'sending', claimedUntil })
      .execute();
    return (result.affected ?? 0) > 0;
  }
}
