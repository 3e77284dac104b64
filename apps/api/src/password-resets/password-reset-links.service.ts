import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { UnitOfWork } from '../database/unit-of-work';
import { AppSecrets } from '../common/app-secrets';
import { Patient } from '../patients/patient.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { Practice } from '../practices/practice.entity';
import { PasswordResetRequest } from './password-reset-request.entity';
import type { LockReason } from '@resetdesk/contracts';

/** A reset link that can still be used, with what its pages need. */
export interface OpenResetLink {
  kind: 'open';
  request: PasswordResetRequest;
  account: PortalAccount;
  patient: Patient;
  practice: Practice;
}

/** Why a link cannot be used. Locked: too many failed answers; the office must help. */
export type ResetLinkProblem = { kind: 'invalid'; practice: Practice | null } | { kind: 'locked'; practice: Practice };

export type ResetLinkState = OpenResetLink | ResetLinkProblem;

export const RECOVERY_LOCK_REASON: LockReason = 'too_many_recovery_failures';

/**
 * Self-service recovery may lift only a lock the patient's own failed sign-ins caused. A lock for
 * failed recovery answers (or any other reason, e.g. one staff set) needs the office.
 */
export function needsOfficeToUnlock(account: Pick<PortalAccount, 'status' | 'lockReason'>): boolean {
  return account.status === 'locked' && account.lockReason !== 'too_many_login_failures';
}

/** Tokens are 43 base64url characters; anything else cannot match and never reaches the database. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,128}$/;

/**
 * Resolves a password-reset link token to its request. Reading never changes or counts
 * anything (mail scanners fetch links before patients do). A link is usable while it is
 * pending, unexpired, and its account is still open and not locked for failed recovery.
 */
@Injectable()
export class PasswordResetLinks {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly secrets: AppSecrets,
  ) {}

  async find(token: string): Promise<ResetLinkState> {
    if (!TOKEN_SHAPE.test(token)) return { kind: 'invalid', practice: null };
    const manager = this.uow.dataSource.manager;
    const request = await manager.findOneBy(PasswordResetRequest, { tokenHash: this.secrets.tokenHash(token) });
    if (!request) return { kind: 'invalid', practice: null };
    const account = await manager.findOneBy(PortalAccount, { id: request.portalAccountId, practiceId: request.practiceId });
    return this.stateOf(manager, request, account);
  }

  /**
   * The link's rows locked for the rest of the caller's transaction, and its state now. The
   * patient row is locked first, as the staff reset does, so the two serialise instead of
   * deadlocking; then the request, then the account.
   */
  async lock(manager: EntityManager, link: Pick<OpenResetLink, 'request'>): Promise<ResetLinkState> {
    const { request: known } = link;
    await this.uow.forUpdate(manager.createQueryBuilder(Patient, 'patient').where('patient.id = :id', { id: known.patientId })).getOne();
    const request = await this.uow.forUpdate(manager.createQueryBuilder(PasswordResetRequest, 'request').where('request.id = :id', { id: known.id })).getOne();
    if (!request) return { kind: 'invalid', practice: null };
    const account = await this.uow
      .forUpdate(manager.createQueryBuilder(PortalAccount, 'account').where('account.id = :id', { id: request.portalAccountId }))
      .getOne();
    return this.stateOf(manager, request, account);
  }

  private async stateOf(manager: EntityManager, request: PasswordResetRequest, account: PortalAccount | null): Promise<ResetLinkState> {
    const practice = await manager.findOneByOrFail(Practice, { id: request.practiceId });
    if (request.status === 'locked' || (request.status === 'pending' && account && needsOfficeToUnlock(account))) {
      return { kind: 'locked', practice };
    }
    if (request.status !== 'pending' || new Date(request.expiresAt).getTime() <= Date.now()) return { kind: 'invalid', practice };
    if (!account || account.status === 'closed' || account.patientId !== request.patientId) return { kind: 'invalid', practice };
    const patient = await manager.findOneBy(Patient, { id: request.patientId, practiceId: request.practiceId });
    if (!patient) return { kind: 'invalid', practice };
    return { kind: 'open', request, account, patient, practice };
  }
}
