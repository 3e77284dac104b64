import { Injectable } from '@nestjs/common';
import { EntityManager, EntityTarget, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { UnitOfWork } from '../database/unit-of-work';
import { DomainException } from './domain.exception';
import { RequestContext } from './request-context';

/** Whether a path parameter can be a row id at all (ids are UUIDs); anything else is simply not found. */
export function isRecordId(id: unknown): id is string {
  return typeof id === 'string' && /^[0-9a-fA-F-]{36}$/.test(id);
}

/**
 * Tenant isolation in one place: every staff-facing read starts here and is filtered to the
 * signed-in user's practice. A row of another practice is indistinguishable from a missing one.
 */
@Injectable()
export class TenantScope {
  constructor(private readonly uow: UnitOfWork) {}

  get practiceId(): string {
    return RequestContext.practiceId();
  }

  query<E extends ObjectLiteral>(entity: EntityTarget<E>, alias: string, manager?: EntityManager): SelectQueryBuilder<E> {
    return (manager ?? this.uow.dataSource.manager)
      .createQueryBuilder(entity, alias)
      .where(`${alias}.practiceId = :tenantPracticeId`, { tenantPracticeId: this.practiceId });
  }

  /** The row with this id in the caller's practice, or a 404 that says nothing more. */
  async findOrFail<E extends ObjectLiteral>(
    entity: EntityTarget<E>,
    id: string,
    what: string,
    options: { manager?: EntityManager; lock?: boolean } = {},
  ): Promise<E> {
    if (!isRecordId(id)) throw DomainException.notFound(what);
    let qb = this.query(entity, 'row', options.manager).andWhere('row.id = :id', { id });
    if (options.lock) qb = this.uow.forUpdate(qb);
    const row = await qb.getOne();
    if (!row) throw DomainException.notFound(what);
    return row;
  }
}
