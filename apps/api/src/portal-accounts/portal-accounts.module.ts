import { Module } from '@nestjs/common';
import { PortalAccountsService } from './portal-accounts.service';

/** Imported by the features that create or manage portal accounts (registration, later sign-in). */
@Module({
  providers: [PortalAccountsService],
  exports: [PortalAccountsService],
})
export class PortalAccountsModule {}
