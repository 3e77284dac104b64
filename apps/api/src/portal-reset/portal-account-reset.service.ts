import { Injectable } from '@nestjs/common';
import { SecurityNotices } from '../notifications/security-notices';
import { EntityManager } from 'typeorm';
import type { PortalResetResult, PortalStatus } from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { iso, maskEmail } from '../common/masking';
import { RequestContext } from '../common/request-context';
import { RegistrationInvitationIssuer } from '../invitations/registration-invitation-issuer';
import { derivePortalStatus } from '../patients/portal-status';
import { HeldPatient, PatientsRepository } from '../patients/patients.repository';
import { PasswordResetRequestsRepository } from '../password-resets/password-reset-requests.repository';
import { PortalAccountsRepository } from '../portal-accounts/portal-accounts.repository';
import { PortalSessionsRepository } from '../portal-accounts/portal-sessions.repository';
import { PortalAccess } from '../oidc/portal-access.service';
import { PatientDeskActionRunner } from './patient-desk-action.runner';
import { PortalResetDto } from './portal-reset.dto';
import { resetRefusal } from './portal-action-rules';

export { INACTIVE_CHART, NO_CHART_EMAIL } from './portal-action-rules';

/**
 * The reset: close the old portal account for good, void every outstanding link, issue a new
 * registration invitation with a PIN, and prove the chart was not touched, all in one transaction.
 */
@Injectable()
export class PortalAccountResetService {
  constructor(
    private readonly notices: SecurityNotices,
    private readonly runner: PatientDeskActionRunner,
    private readonly issuer: RegistrationInvitationIssuer,
    private readonly audit: AuditLogService,
    private readonly access: PortalAccess,
  ) {}

  reset(patientId: string, dto: PortalResetDto, idempotencyKey: string | null): Promise<PortalResetResult> {
    const note = dto.note?.trim() || null;
    if ((dto.reason === 'other' || dto.identityVerification === 'other') && !note) {
      throw DomainException.validation({ note: 'Add a note: it is required when you choose "other".' });
    }
    const body = { reason: dto.reason, identityVerification: dto.identityVerification, note };
    return this.runner.run({ patientId, scope: 'portal-reset', body, idempotencyKey }, (manager, held) => this.resetHeld(manager, held, body));
  }

  private async resetHeld(
    manager: EntityManager,
    held: HeldPatient,
    body: { reason: PortalResetDto['reason']; identityVerification: PortalResetDto['identityVerification']; note: string | null },
  ): Promise<PortalResetResult> {
    const { patient, openAccount: account } = held;
    const refusal = resetRefusal({ active: patient.active, email: patient.email, openAccountStatus: account?.status ?? null });
    if (refusal) throw refusal;
    const patients = PatientsRepository.on(manager);
    const now = new Date();
    const chartChecksumBefore = await patients.chartChecksum(patient, { rereadPatient: false });

    let revokedSessions = 0;
    if (account) {
      await PortalAccountsRepository.on(manager).closeForReset(account.id, now);
      revokedSessions = await PortalSessionsRepository.on(manager).endAllOfAccount(account.id, now);
      // Signed out of every portal app too, each told by back-channel logout.
      await this.access.end(manager, account, 'reset', { portalSessionsAlreadyEnded: revokedSessions });
    }
    // Counted under the patient's lock, so a statement that would change nothing is not sent.
    const revokedPasswordResets = held.pendingPasswordResets
      ? await PasswordResetRequestsRepository.on(manager).revokePendingOfPatient(patient.practiceId, patient.id, now)
      : 0;

    const issued = await this.issuer.issue(manager, held, RequestContext.staff().id, now);
    const hadUsableInvitation = issued.revoked.some((row) => row.expiresAt.getTime() > now.getTime());
    const previousStatus: PortalStatus = derivePortalStatus(account?.status, hadUsableInvitation);

    const chartChecksumAfter = await patients.chartChecksum(patient);
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
        revokedPasswordResets,
        revokedSessions,
        outboxMessageId: issued.outboxMessageId,
        // A reset soon after the EHR changed the chart's email or phone is the classic takeover pattern.
        contactChangedAt: iso(patient.contactChangedAt),
      },
    });
    // A second message, apart from the registration email: it carries no link and goes to the phone too.
    await this.notices.notify(manager, event);

    return {
      auditEventId: event.id,
      retiredUsername: account?.username ?? null,
      invitation: { id: issued.invitation.id, sentTo, expiresAt: issued.invitation.expiresAt.toISOString(), pin: issued.pin },
      chartChecksumBefore,
      chartChecksumAfter,
    };
  }
}
