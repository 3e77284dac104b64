import { Module } from '@nestjs/common';
import { IdempotencyService } from '../common/idempotency.service';
import { RegistrationInvitationIssuer } from '../invitations/registration-invitation-issuer';
import { PatientsModule } from '../patients/patients.module';
import { PatientDeskActionRunner } from './patient-desk-action.runner';
import { PortalAccountResetService } from './portal-account-reset.service';
import { PortalAccountUnlockService } from './portal-account-unlock.service';
import { PortalResetController } from './portal-reset.controller';
import { RegistrationInvitationResendService } from './registration-invitation-resend.service';

/** The front desk's portal actions on a patient: reset, resend the registration email, unlock. */
@Module({
  imports: [PatientsModule],
  controllers: [PortalResetController],
  providers: [
    IdempotencyService,
    RegistrationInvitationIssuer,
    PatientDeskActionRunner,
    PortalAccountResetService,
    RegistrationInvitationResendService,
    PortalAccountUnlockService,
  ],
  exports: [PatientDeskActionRunner],
})
export class PortalResetModule {}
