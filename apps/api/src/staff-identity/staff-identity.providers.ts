import { MfaActors } from './mfa-actor';
import { PasskeyController } from './passkey.controller';
import { PasskeyService } from './passkey.service';
import { PendingSignIns } from './pending-sign-ins';
import { StaffMfaAdminController, StaffMfaController } from './staff-mfa.controller';
import { StaffMfaRepository } from './staff-mfa.repository';
import { StaffMfaService } from './staff-mfa.service';
import { StaffSsoController } from './staff-sso.controller';
import { StaffSsoService } from './staff-sso.service';

/**
 * Staff two-step sign-in and single sign-on live beside the password sign-in in AuthModule:
 * the password step starts a pending sign-in, and the second step opens the session.
 */
export const STAFF_IDENTITY_PROVIDERS = [StaffMfaRepository, PendingSignIns, StaffMfaService, MfaActors, PasskeyService, StaffSsoService];
export const STAFF_IDENTITY_CONTROLLERS = [StaffMfaController, StaffMfaAdminController, PasskeyController, StaffSsoController];
