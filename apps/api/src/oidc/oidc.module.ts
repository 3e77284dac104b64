import { Module } from '@nestjs/common';
import { PatientAuthModule } from '../patient-auth/patient-auth.module';
import { PatientPagesModule } from '../patient-pages/patient-pages.module';
import { PortalAppsModule } from '../portal-apps/portal-apps.module';
import { BackchannelLogoutDelivery } from './backchannel-logout.delivery';
import { OidcAccounts } from './oidc-accounts';
import { OidcHttp } from './oidc-http';
import { OidcInteractionController } from './oidc-interaction.controller';
import { OidcPages } from './oidc-pages';
import { OidcProviderHost } from './oidc-provider.host';
import { PortalAccessModule } from './portal-access.module';
import { PortalSessionsController } from './portal-sessions.controller';
import { PatientsModule } from '../patients/patients.module';
import { PortalResetModule } from '../portal-reset/portal-reset.module';

/** The patient portal's OpenID Provider at /oidc (mounted by app.factory through OidcHttp). */
@Module({
  imports: [PatientPagesModule, PatientAuthModule, PortalAppsModule, PortalAccessModule, PatientsModule, PortalResetModule],
  controllers: [OidcInteractionController, PortalSessionsController],
  providers: [OidcAccounts, OidcPages, OidcProviderHost, OidcHttp, BackchannelLogoutDelivery],
  exports: [OidcProviderHost, OidcHttp, OidcAccounts],
})
export class OidcModule {}
