import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { IdempotencyRequest, IdempotencyService } from '../common/idempotency.service';
import { DomainException } from '../common/domain.exception';
import { TenantScope, isRecordId } from '../common/tenant-scope';
import { isUniqueViolation } from '../database/db-errors';
import { HeldPatient, PatientsRepository } from '../patients/patients.repository';
import { UnitOfWork } from '../database/unit-of-work';
import { OutboxService } from '../outbox/outbox.service';

export interface DeskActionRequest {
  patientId: string;
  /** Names the action for Idempotency-Key bookkeeping, e.g. 'portal-reset'. */
  scope: string;
  body: unknown;
  idempotencyKey: string | null;
}

/**
 * The frame every front-desk portal action runs in: one transaction, the patient's row held
 * first (so actions on one patient queue behind each other), Idempotency-Key replay, and a nudge
 * to the outbox once the transaction has committed.
 */
@Injectable()
export class PatientDeskActionRunner {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly tenant: TenantScope,
    private readonly idempotency: IdempotencyService,
    private readonly outbox: OutboxService,
  ) {}

  async run<T>(request: DeskActionRequest, work: (manager: EntityManager, held: HeldPatient) => Promise<T>): Promise<T> {
    if (!isRecordId(request.patientId)) throw DomainException.notFound('patient');
    const practiceId = this.tenant.practiceId;
    const key: IdempotencyRequest | null = request.idempotencyKey
      ? {
          practiceId,
          scope: request.scope,
          key: request.idempotencyKey,
          requestHash: IdempotencyService.hashRequest([request.scope, request.patientId, request.body]),
        }
      : null;
    try {
      const result = await this.uow.run(async (manager) => {
        const held = await PatientsRepository.on(manager).holdForDeskAction(practiceId, request.patientId);
        if (!held) throw DomainException.notFound('patient');
        if (key) {
          const replayed = await this.idempotency.replay<T>(manager, key);
          if (replayed !== null) return { replayed: true, value: replayed };
        }
        const value = await work(manager, held);
        if (key) await this.idempotency.remember(manager, key, 201, value);
        return { replayed: false, value };
      });
      if (!result.replayed) this.outbox.notifyCommitted();
      return result.value;
    } catch (error) {
      // The same key raced in under another patient's lock: the first one won; answer as it did.
      if (key && isUniqueViolation(error)) {
        const replayed = await this.uow.run((manager) => this.idempotency.replay<T>(manager, key));
        if (replayed !== null) return replayed;
      }
      throw error;
    }
  }
}
