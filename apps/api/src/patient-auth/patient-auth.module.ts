import { Module } from '@nestjs/common';
import { PatientPagesModule } from '../patient-pages/patient-pages.module';
import { PatientAuthController } from './patient-auth.controller';
import { PatientAuthPages } from './patient-auth-pages';
import { PatientSessions } from './patient-sessions.service';
import { PatientSignInService } from './patient-sign-in.service';
import { SignInThrottle } from './sign-in-throttle';

/** Patient sign-in (/login) and portal sessions; recovery uses the sessions to end them after a password change. */
@Module({
  imports: [PatientPagesModule],
  controllers: [PatientAuthController],
  providers: [PatientSignInService, PatientSessions, PatientAuthPages, SignInThrottle],
  exports: [PatientSessions, PatientSignInService, SignInThrottle],
})
export class PatientAuthModule {}
