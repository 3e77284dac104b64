import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { RequestContext } from '../common/request-context';
import { Sql } from '../database/sql';
import { UnitOfWork } from '../database/unit-of-work';
import { AuditChainKeys, plainAuditEventHash } from './audit-chain-keys';
import { AuditActor, AuditEventInput } from './audit-events';
import { AuditChainHead, AuditEvent } from './audit-event.entity';

/** The plain SHA-256 of events written before the chain was keyed (see AuditChainKeys). */
export const auditEventHash = plainAuditEventHash;

/**
 * The only writer of audit events. Appends happen inside the caller's transaction, so an
 * event exists exactly when its change does; the chain head row is locked last, which keeps the
 * per-practice chain strictly ordered without deadlocking against the rows the change locked.
 */
@Injectable()
export class AuditLogService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly keys: AuditChainKeys,
  ) {}

  async append(manager: EntityManager, practiceId: string, input: AuditEventInput, actor?: AuditActor): Promise<AuditEvent> {
    const context = RequestContext.current();
    const who = actor ?? actorFromContext();
    const head = await this.lockHead(manager, practiceId);
    const event: Omit<AuditEvent, 'hash'> = {
      id: randomUUID(),
      practiceId,
      seq: head.lastSeq + 1,
      action: input.action,
      actorType: who.type,
      actorId: who.id,
      actorName: who.name,
      patientId: 'patientId' in input ? input.patientId : null,
      reason: 'reason' in input ? input.reason : null,
      details: JSON.stringify(input.details ?? {}),
      ip: context?.ip ?? null,
      // Cut by code points: half a surrogate pair would be stored altered and break the hash.
      userAgent: context?.userAgent ? Array.from(context.userAgent).slice(0, 255).join('') : null,
      createdAt: new Date(),
      prevHash: head.lastHash,
    };
    const row = { ...event, hash: this.keys.hashFor(event, head.keyedFromSeq) } as AuditEvent;
    const sql = Sql.on(manager);
    // Every audited change in the practice waits for this head lock until commit, so both writes
    // go out back to back instead of the second waiting its turn on a busy event loop. If the
    // insert fails, the caller's transaction rolls the head update back with everything else.
    await Promise.all([
      sql.insert(AuditEvent, row),
      sql.execute('UPDATE audit_chain_heads SET lastSeq = ?, lastHash = ? WHERE practiceId = ?', [row.seq, row.hash, practiceId]),
    ]);
    return row;
  }

  private async lockHead(manager: EntityManager, practiceId: string): Promise<AuditChainHead> {
    const sql = Sql.on(manager);
    const select = async () => (await sql.select(AuditChainHead, `SELECT * FROM audit_chain_heads WHERE practiceId = ?${sql.forUpdate}`, [practiceId]))[0];
    const existing = await select();
    if (existing) return existing;
    try {
      await sql.insert(AuditChainHead, { practiceId, lastSeq: 0, lastHash: null, keyedFromSeq: 1 });
    } catch {
      // Another transaction created the head first; fall through and lock theirs.
    }
    const created = await select();
    if (!created) throw new Error(`Audit chain head for practice ${practiceId} could not be created`);
    return created;
  }

  /**
   * Recomputes every hash of a practice's chain, in order, in pages, up to the head as it was
   * when the check began: events appended meanwhile are for the next check, not a break. Events
   * before the head's keyedFromSeq carry plain SHA-256 hashes (written before the chain was
   * keyed); from it on, only the HMAC under the server's key is accepted, so a row edited and
   * re-hashed by someone with database access but not APP_SECRET is the first broken one.
   * `upToSeq` stops early (a checkpoint's seq).
   */
  async verify(practiceId: string, upToSeq?: number): Promise<{ valid: boolean; checked: number; firstBrokenId: string | null }> {
    const repo = this.uow.dataSource.getRepository(AuditEvent);
    const head = await this.uow.dataSource.getRepository(AuditChainHead).findOneBy({ practiceId });
    const keyedFromSeq = head ? head.keyedFromSeq : 1;
    const lastSeq = upToSeq ?? (head ? head.lastSeq : Number.MAX_SAFE_INTEGER);
    let checked = 0;
    let prevHash: string | null = null;
    let expectedSeq = 1;
    const pageSize = 1000;
    while (expectedSeq <= lastSeq) {
      const page = await repo
        .createQueryBuilder('e')
        .where('e.practiceId = :practiceId AND e.seq >= :from AND e.seq <= :lastSeq', { practiceId, from: expectedSeq, lastSeq })
        .orderBy('e.seq', 'ASC')
        .take(pageSize)
        .getMany();
      for (const event of page) {
        const broken = event.seq !== expectedSeq || event.prevHash !== prevHash || this.keys.hashFor(event, keyedFromSeq) !== event.hash;
        if (broken) return { valid: false, checked, firstBrokenId: event.id };
        checked++;
        prevHash = event.hash;
        expectedSeq++;
      }
      if (page.length < pageSize) break;
    }
    if (upToSeq !== undefined) return { valid: expectedSeq - 1 === upToSeq, checked, firstBrokenId: null };
    // Rows removed from the end leave the head pointing past the last event.
    const tailIntact = !head || (head.lastSeq === expectedSeq - 1 && head.lastHash === prevHash);
    return { valid: tailIntact, checked, firstBrokenId: null };
  }
}

function actorFromContext(): AuditActor {
  const staff = RequestContext.current()?.staff;
  return staff ? { type: 'staff', id: staff.id, name: staff.name } : { type: 'system', id: null, name: 'ResetDesk' };
}
