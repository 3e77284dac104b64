import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import type { PortalResetResult, PortalStatus } from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { maskEmail } from '../common/masking';
import { RequestContext } from '../common/request-context';
import { RegistrationInvitationIssuer } from '../invitations/registration-invitation-issuer';
import { PasswordResetRequest } from '../password-resets/password-reset-request.entity';
import { loadChartChecksum } from '../patients/chart-checksum';
import { Patient } from '../patients/patient.entity';
import { derivePortalStatus } from '../patients/portal-status';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { PortalSession } from '../portal-accounts/portal-session.entity';
import { PatientDeskActionRunner } from './patient-desk-action.runner';
import { PortalResetDto } from './portal-reset.dto';

export const NO_CHART_EMAIL = 'The chart has no email address. Add one in the chart before resetting.';

/**
 * The reset: close the old portal account for good, void every outstanding link, issue a new
 * registration invitation with a PIN, and prove the chart was not touched, all in one transaction.
 */
@Injectable()
export class PortalAccountResetService {
  constructor(
    private readonly runner: PatientDeskActionRunner,
    private readonly issuer: RegistrationInvitationIssuer,
    private readonly audit: AuditLogService,
  ) {}

  reset(patientId: string, dto: PortalResetDto, idempotencyKey: string | null): Promise<PortalResetResult> {
    const note = dto.note?.trim() || null;
    if ((dto.reason === 'other' || dto.identityVerification === 'other') && !note) {
      throw DomainException.validation({ note: 'Add a note: it is required when you choose "other".' });
    }
    const body = { reason: dto.reason, identityVerification: dto.identityVerification, note };
    return this.runner.run({ patientId, scope: 'portal-reset', body, idempotencyKey }, (manager, patient) =>
      this.resetLocked(manager, patient, body),
    );
  }

  private async resetLocked(manager: EntityManager, patient: Patient, body: { reason: PortalResetDto['reason']; identityVerification: PortalResetDto['identityVerification']; note: string | null }): Promise<PortalResetResult> {
    if (!patient.email) throw new DomainException('unprocessable', NO_CHART_EMAIL);
    const now = new Date();
    const chartChecksumBefore = await loadChartChecksum(manager, patient, { rereadPatient: false });
    const account = await manager.findOne(PortalAccount, { where: { patientId: patient.id, practiceId: patient.practiceId, openMarker: 1 } });

    let revokedSessions = 0;
    if (account) {
      await manager.update(
        PortalAccount,
        { id: account.id },
        {
          status: 'closed',
          openMarker: null,
          closeReason: 'reset',
          closedAt: now,
          passwordHash: null,
          securityQuestion: null,
          securityAnswerHash: null,
          updatedAt: now,
        },
      );
      const sessions = await manager.update(PortalSession, { portalAccountId: account.id, revokedAt: IsNull() }, { revokedAt: now });
      revokedSessions = sessions.affected ?? 0;
    }
    const passwordResets = await manager.update(
      PasswordResetRequest,
      { patientId: patient.id, practiceId: patient.practiceId, status: 'pending' },
      { status: 'revoked', revokedAt: now },
    );

    const issued = await this.issuer.issue(manager, patient, RequestContext.staff().id, now);
    const hadUsableInvitation = issued.revoked.some((row) => row.expiresAt.getTime() > now.getTime());
    const previousStatus: PortalStatus = derivePortalStatus(account?.status, hadUsableInvitation);

    const chartChecksumAfter = await loadChartChecksum(manager, patient);
    if (chartChecksumAfter !== chartChecksumBefore) {
      throw new DomainException('integrity', `Chart checksum changed during the reset of patient ${patient.id}; rolled back.`);
    }

    const sentTo = maskEmail(patient.email);
    const event = await this.audit.append(manager, patient.practiceId, {
      action: 'portal.reset',
      patientId: patient.id,
      reason: body.reason,
      details: {
        identityVerification: body.identityVerification,
        note: body.note,
        previousStatus,
        retiredUsername: account?.username ?? null,
        invitationId: issued.invitation.id,
        sentTo,
        chartChecksumBefore,
        chartChecksumAfter,
        revokedInvitations: issued.revoked.length,
        revokedPasswordResets: passwordResets.affected ?? 0,
        revokedSessions,
        outboxMessageId: issued.outboxMessageId,
      },
    });

    return {
      auditEventId: event.id,
      retiredUsername: account?.username ?? null,
      invitation: { id: issued.invitation.id, sentTo, expiresAt: issued.invitation.expiresAt.toISOString(), pin: issued.pin },
      chartChecksumBefore,
      chartChecksumAfter,
    };
  }
}
