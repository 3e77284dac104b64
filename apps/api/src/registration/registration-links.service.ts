import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { UnitOfWork } from '../database/unit-of-work';
import { AppSecrets } from '../common/app-secrets';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { Patient } from '../patients/patient.entity';
import { Practice } from '../practices/practice.entity';

/** An invitation that can still be used, with what its pages need. */
export interface OpenLink {
  kind: 'open';
  invitation: RegistrationInvitation;
  practice: Practice;
  patient: Patient;
}

export type InvalidReason = 'unknown' | 'used' | 'revoked' | 'expired';

/** Why a link cannot be used; the practice is known for every link except an unknown one. */
export type LinkProblem = { kind: 'invalid'; reason: InvalidReason; practice: Practice | null } | { kind: 'locked'; practice: Practice };

export type LinkState = OpenLink | LinkProblem;

/** Tokens are 43 base64url characters; anything else cannot match and never reaches the database. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{20,128}$/;

/**
 * Resolves a registration link token to its invitation. Reads only: opening a link must never
 * change or count anything (mail scanners fetch links before patients do).
 */
@Injectable()
export class RegistrationLinks {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly secrets: AppSecrets,
  ) {}

  async find(token: string): Promise<LinkState> {
    if (!TOKEN_SHAPE.test(token)) return { kind: 'invalid', reason: 'unknown', practice: null };
    const manager = this.uow.dataSource.manager;
    const invitation = await manager.findOneBy(RegistrationInvitation, { tokenHash: this.secrets.tokenHash(token) });
    if (!invitation) return { kind: 'invalid', reason: 'unknown', practice: null };
    return this.stateOf(manager, invitation);
  }

  /** The invitation row locked for the rest of the caller's transaction, and its state now. */
  async lock(manager: EntityManager, invitationId: string): Promise<LinkState> {
    const invitation = await this.uow
      .forUpdate(manager.createQueryBuilder(RegistrationInvitation, 'invitation').where('invitation.id = :invitationId', { invitationId }))
      .getOne();
    if (!invitation) return { kind: 'invalid', reason: 'unknown', practice: null };
    return this.stateOf(manager, invitation);
  }

  private async stateOf(manager: EntityManager, invitation: RegistrationInvitation): Promise<LinkState> {
    const practice = await manager.findOneByOrFail(Practice, { id: invitation.practiceId });
    const usability = usabilityOf(invitation, new Date());
    if (usability === 'locked') return { kind: 'locked', practice };
    if (usability !== 'open') return { kind: 'invalid', reason: usability, practice };
    const patient = await manager.findOneBy(Patient, { id: invitation.patientId, practiceId: invitation.practiceId });
    if (!patient) return { kind: 'invalid', reason: 'unknown', practice };
    return { kind: 'open', invitation, practice, patient };
  }
}

/** A pending invitation past its expiry is expired even before anything marks it so. */
export function usabilityOf(invitation: RegistrationInvitation, now: Date): 'open' | 'locked' | Exclude<InvalidReason, 'unknown'> {
  switch (invitation.status) {
    case 'locked':
      return 'locked';
    case 'used':
    case 'revoked':
    case 'expired':
      return invitation.status;
    case 'pending':
      return new Date(invitation.expiresAt).getTime() <= now.getTime() ? 'expired' : 'open';
  }
}
