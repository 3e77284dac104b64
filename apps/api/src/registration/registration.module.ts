import { Module } from '@nestjs/common';
import { PortalAccountsModule } from '../portal-accounts/portal-accounts.module';
import { AccountRegistrationService } from './account-registration.service';
import { IdentityVerificationService } from './identity-verification.service';
import { PatientAssetsController } from './patient-assets.controller';
import { PatientFormCsrf } from './patient-form-csrf';
import { RegistrationController } from './registration.controller';
import { RegistrationLinks } from './registration-links.service';
import { RegistrationPages } from './registration-pages';
import { RegistrationProof } from './registration-proof';

/** Patient registration pages (spec §4): /register/:token and its steps, plus /assets/patient.css. */
@Module({
  imports: [PortalAccountsModule],
  controllers: [RegistrationController, PatientAssetsController],
  providers: [RegistrationLinks, IdentityVerificationService, AccountRegistrationService, RegistrationPages, PatientFormCsrf, RegistrationProof],
})
export class RegistrationModule {}
