import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { UnitOfWork } from '../database/unit-of-work';
import { PortalApp } from './portal-app.entity';

/** SQL of portal apps; services keep the rules. */
@Injectable()
export class PortalAppsRepository {
  constructor(private readonly uow: UnitOfWork) {}

  findByClientId(clientId: string, manager: EntityManager = this.uow.dataSource.manager): Promise<PortalApp | null> {
    if (!clientId || clientId.length > 64) return Promise.resolve(null);
    return manager.findOneBy(PortalApp, { clientId });
  }

  findByClientIds(manager: EntityManager, clientIds: string[]): Promise<PortalApp[]> {
    if (clientIds.length === 0) return Promise.resolve([]);
    return manager.createQueryBuilder(PortalApp, 'app').where('app.clientId IN (:...clientIds)', { clientIds }).getMany();
  }

  list(practiceId: string, offset: number, limit: number, sort: { field: string; order: 'ASC' | 'DESC' }): Promise<[PortalApp[], number]> {
    return this.uow.dataSource.manager
      .createQueryBuilder(PortalApp, 'app')
      .where('app.practiceId = :practiceId', { practiceId })
      .orderBy(`app.${sort.field}`, sort.order)
      .addOrderBy('app.id', 'ASC')
      .skip(offset)
      .take(limit)
      .getManyAndCount();
  }

  find(practiceId: string, id: string, manager: EntityManager = this.uow.dataSource.manager): Promise<PortalApp | null> {
    return manager.findOneBy(PortalApp, { practiceId, id });
  }

  insert(manager: EntityManager, app: PortalApp): Promise<unknown> {
    return manager.insert(PortalApp, app);
  }

  update(manager: EntityManager, id: string, changes: Partial<PortalApp>): Promise<unknown> {
    return manager.update(PortalApp, { id }, changes);
  }

  delete(manager: EntityManager, id: string): Promise<unknown> {
    return manager.delete(PortalApp, { id });
  }
}
