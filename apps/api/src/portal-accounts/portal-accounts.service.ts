import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { DomainException } from '../common/domain.exception';
import { UnitOfWork } from '../database/unit-of-work';
import { PortalAccount } from './portal-account.entity';
import { uniqueViolation } from '../database/db-errors';
import { normaliseUsername, usernameSkeleton } from './username';
import { PortalAccountsRepository } from './portal-accounts.repository';

export const USERNAME_TAKEN = 'Username has already been taken';

export interface NewPortalAccount {
  practiceId: string;
  patientId: string;
  username: string;
  /** argon2id, computed by the caller before its transaction so no row lock waits on hashing. */
  passwordHash: string;
  securityQuestion: string | null;
  securityAnswerHash: string | null;
}

/**
 * Creates portal accounts. Usernames are never reused: the unique indexes on the normalised
 * form and on the confusable skeleton, not the read-before-write check, is what decides a race, so the insert itself maps the
 * duplicate-key error to the message the patient sees.
 */
@Injectable()
export class PortalAccountsService {
  constructor(private readonly uow: UnitOfWork) {}

  /** Any account ever (closed ones included) holding this name. A fast path only; the index decides. */
  async isUsernameTaken(username: string, manager: EntityManager = this.uow.dataSource.manager): Promise<boolean> {
    return manager.getRepository(PortalAccount).exists({
      where: [{ usernameNormalized: normaliseUsername(username) }, { usernameSkeleton: usernameSkeleton(username) }],
    });
  }

  /**
   * Inserts an active account in the caller's transaction.
   * Throws DomainException `conflict` with field `username` when the name is taken, and
   * `conflict` without fields when the patient already has an open account.
   */
  async createActive(manager: EntityManager, input: NewPortalAccount): Promise<PortalAccount> {
    const now = new Date();
    const username = input.username.normalize('NFKC');
    const account: PortalAccount = {
      id: randomUUID(),
      practiceId: input.practiceId,
      patientId: input.patientId,
      username,
      usernameNormalized: normaliseUsername(username),
      usernameSkeleton: usernameSkeleton(username),
      status: 'active',
      openMarker: 1,
      passwordHash: input.passwordHash,
      securityQuestion: input.securityQuestion,
      securityAnswerHash: input.securityAnswerHash,
      failedLoginCount: 0,
      lockReason: null,
      lockedAt: null,
      lockedUntil: null,
      closeReason: null,
      closedAt: null,
      lastLoginAt: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await PortalAccountsRepository.on(manager).insert(account);
    } catch (error) {
      const violation = uniqueViolation(error);
      if (!violation) throw error;
      if (violation.index && /open|openMarker/i.test(violation.index)) {
        throw new DomainException('conflict', 'This patient already has a portal account.');
      }
      throw new DomainException('conflict', USERNAME_TAKEN, { username: USERNAME_TAKEN });
    }
    return account;
  }
}
