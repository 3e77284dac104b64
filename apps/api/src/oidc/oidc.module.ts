import { Module } from '@nestjs/common';
import { PatientAuthModule } from '../patient-auth/patient-auth.module';
import { PatientPagesModule } from '../patient-pages/patient-pages.module';
import { PortalAppsModule } from '../portal-apps/portal-apps.module';
import { OidcAccounts } from './oidc-accounts';
import { OidcHttp } from './oidc-http';
import { OidcInteractionController } from './oidc-interaction.controller';
import { OidcPages } from './oidc-pages';
import { OidcProviderHost } from './oidc-provider.host';
import { OidcStore } from './oidc-store';

/** The patient portal's OpenID Provider at /oidc (mounted by app.factory through OidcHttp). */
@Module({
  imports: [PatientPagesModule, PatientAuthModule, PortalAppsModule],
  controllers: [OidcInteractionController],
  providers: [OidcStore, OidcAccounts, OidcPages, OidcProviderHost, OidcHttp],
  exports: [OidcStore, OidcProviderHost, OidcHttp, OidcAccounts],
})
export class OidcModule {}
