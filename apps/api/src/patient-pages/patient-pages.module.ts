import { Module } from '@nestjs/common';
import { FaviconController, PatientAssetsController } from './patient-assets.controller';
import { PatientFormCsrf } from './patient-form-csrf';
import { PatientPageRenderer } from './patient-page-renderer';
import { CodeVerificationFlow } from './code-verification-flow';
import { SecurityCodes } from './security-codes';

/**
 * What every patient-facing page shares (registration, sign-in, recovery): the layout and form
 * partials, the stylesheet at /assets/patient.css, form CSRF, and the texted/voice security codes.
 */
@Module({
  controllers: [PatientAssetsController, FaviconController],
  providers: [PatientPageRenderer, PatientFormCsrf, SecurityCodes, CodeVerificationFlow],
  exports: [PatientPageRenderer, PatientFormCsrf, SecurityCodes, CodeVerificationFlow],
})
export class PatientPagesModule {}
