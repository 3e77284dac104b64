import { Global, Module } from '@nestjs/common';
import { PortalAppsModule } from '../portal-apps/portal-apps.module';
import { OidcStore } from './oidc-store';
import { PortalAccess } from './portal-access.service';

/**
 * Ending a portal account's access (PortalAccess) and the provider's storage it clears: global,
 * because the reset, the sign-in lock and recovery all end access in their own transactions.
 */
@Global()
@Module({
  imports: [PortalAppsModule],
  providers: [OidcStore, PortalAccess],
  exports: [OidcStore, PortalAccess],
})
export class PortalAccessModule {}
