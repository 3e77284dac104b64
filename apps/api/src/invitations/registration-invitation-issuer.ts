import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { OutboxService } from '../outbox/outbox.service';
import { REGISTRATION_EMAIL } from '../registration/registration-messages';
import type { HeldPatient } from '../patients/patients.repository';
import { AppSecrets } from '../common/app-secrets';
import { RegistrationInvitation } from './registration-invitation.entity';
import { RegistrationInvitationsRepository } from './registration-invitations.repository';

export interface IssuedRegistrationInvitation {
  invitation: RegistrationInvitation;
  /** The one-time PIN, returned once to staff; only its HMAC is stored. */
  pin: string;
  outboxMessageId: string;
  /** The invitations this one replaced, with when they would have expired. */
  revoked: Pick<RegistrationInvitation, 'id' | 'expiresAt'>[];
}

/**
 * Replaces whatever invitation a patient had with a new single-use one and queues its
 * registration email, inside the caller's transaction (which must hold the patient's row lock:
 * that lock is what keeps "at most one pending invitation" true under concurrent requests; the
 * unique pendingMarker index is the backstop).
 */
@Injectable()
export class RegistrationInvitationIssuer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly secrets: AppSecrets,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Replaces the patient's pending invitation (read under the caller's patient lock) with a new
   * one and queues its email.
   */
  async issue(
    manager: EntityManager,
    held: Pick<HeldPatient, 'patient' | 'pendingInvitation'>,
    createdByStaffId: string | null,
    now = new Date(),
  ): Promise<IssuedRegistrationInvitation> {
    const { patient, pendingInvitation } = held;
    if (!patient.email) throw new Error('issue() needs a chart email; callers check it first');
    const invitations = RegistrationInvitationsRepository.on(manager);
    const revoked = pendingInvitation ? [{ id: pendingInvitation.id, expiresAt: pendingInvitation.expiresAt }] : [];
    if (pendingInvitation) {
      await invitations.revoke(pendingInvitation.id, now);
    }
    const { token, tokenHash } = this.secrets.newToken();
    const { pin, pinHash } = this.secrets.newPin();
    const invitation: RegistrationInvitation = {
      id: randomUUID(),
      practiceId: patient.practiceId,
      patientId: patient.id,
      tokenHash,
      pinHash,
      status: 'pending',
      pendingMarker: 1,
      sentTo: patient.email,
      expiresAt: new Date(now.getTime() + this.config.invitationTtlHours * 3600_000),
      failedAttempts: 0,
      verifiedAt: null,
      verifiedBy: null,
      usedAt: null,
      revokedAt: null,
      lockedAt: null,
      portalAccountId: null,
      createdByStaffId,
      createdAt: now,
    };
    await invitations.insert(invitation);
    const message = await this.outbox.enqueue(manager, {
      practiceId: patient.practiceId,
      patientId: patient.id,
      channel: 'email',
      kind: REGISTRATION_EMAIL,
      toAddress: patient.email,
      subjectId: invitation.id,
      sealedSecret: this.secrets.sealForOutbox(token),
    });
    return { invitation, pin, outboxMessageId: message.id, revoked };
  }
}
