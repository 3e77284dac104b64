import { Module } from '@nestjs/common';
import { PortalAccountsModule } from '../portal-accounts/portal-accounts.module';
import { AccountRegistrationService } from './account-registration.service';
import { IdentityVerificationService } from './identity-verification.service';
import { PatientPagesModule } from '../patient-pages/patient-pages.module';
import { RegistrationController } from './registration.controller';
import { RegistrationLinks } from './registration-links.service';
import { RegistrationPages } from './registration-pages';
import { RegistrationProof } from './registration-proof';
import { RegistrationMessages } from './registration-messages';

/** Patient registration pages (spec §4): /register/:token and its steps. */
@Module({
  imports: [PortalAccountsModule, PatientPagesModule],
  controllers: [RegistrationController],
  providers: [RegistrationMessages, RegistrationLinks, IdentityVerificationService, AccountRegistrationService, RegistrationPages, RegistrationProof],
})
export class RegistrationModule {}
