import { Module } from '@nestjs/common';
import { PatientAuthModule } from '../patient-auth/patient-auth.module';
import { PatientPagesModule } from '../patient-pages/patient-pages.module';
import { ForgottenCredentialsController } from './forgotten-credentials.controller';
import { PasswordChangeService } from './password-change.service';
import { PasswordResetLinks } from './password-reset-links.service';
import { PasswordResetProof } from './password-reset-proof';
import { PasswordResetRequestsService } from './password-reset-requests.service';
import { RecoveryPages } from './recovery-pages';
import { RecoveryVerificationService } from './recovery-verification.service';
import { ResetPasswordController } from './reset-password.controller';
import { UsernameRemindersService } from './username-reminders.service';
import { RecoveryMessages } from './recovery-messages';

/** Self-service recovery: /forgot-password, /reset-password/:token and its steps, /forgot-username. */
@Module({
  imports: [PatientPagesModule, PatientAuthModule],
  controllers: [ForgottenCredentialsController, ResetPasswordController],
  providers: [
    RecoveryMessages,
    PasswordResetRequestsService,
    PasswordResetLinks,
    RecoveryVerificationService,
    PasswordChangeService,
    UsernameRemindersService,
    RecoveryPages,
    PasswordResetProof,
  ],
})
export class PasswordResetsModule {}
