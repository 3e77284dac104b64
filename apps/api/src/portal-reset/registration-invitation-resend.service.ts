import { Injectable } from '@nestjs/common';
import type { IssuedInvitation } from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { resendRefusal } from './portal-action-rules';
import { maskEmail } from '../common/masking';
import { RequestContext } from '../common/request-context';
import { RegistrationInvitationIssuer } from '../invitations/registration-invitation-issuer';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { PatientDeskActionRunner } from './patient-desk-action.runner';

export { NO_CHART_EMAIL_FOR_INVITATION } from './portal-action-rules';

/**
 * A new registration link and PIN for a patient without a usable account: the first invitation
 * for someone who never registered, or a replacement for a lost, expired or locked one.
 */
@Injectable()
export class RegistrationInvitationResendService {
  constructor(
    private readonly runner: PatientDeskActionRunner,
    private readonly issuer: RegistrationInvitationIssuer,
    private readonly audit: AuditLogService,
  ) {}

  resend(patientId: string, idempotencyKey: string | null): Promise<IssuedInvitation> {
    return this.runner.run({ patientId, scope: 'invitation-resend', body: {}, idempotencyKey }, async (manager, held) => {
      const { patient, openAccount: account } = held;
      const refusal = resendRefusal({ active: patient.active, email: patient.email, openAccountStatus: account?.status ?? null });
      if (refusal) throw refusal;

      const hadInvitation = await manager.exists(RegistrationInvitation, { where: { patientId: patient.id, practiceId: patient.practiceId } });
      const issued = await this.issuer.issue(manager, held, RequestContext.staff().id);
      const sentTo = maskEmail(patient.email);
      await this.audit.append(manager, patient.practiceId, {
        action: hadInvitation ? 'invitation.resent' : 'invitation.created',
        patientId: patient.id,
        details: {
          invitationId: issued.invitation.id,
          sentTo,
          expiresAt: issued.invitation.expiresAt.toISOString(),
          revokedInvitationIds: issued.revoked.map((row) => row.id),
          outboxMessageId: issued.outboxMessageId,
        },
      });
      return { id: issued.invitation.id, sentTo, expiresAt: issued.invitation.expiresAt.toISOString(), pin: issued.pin };
    });
  }
}
