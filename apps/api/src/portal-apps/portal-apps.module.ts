import { Module } from '@nestjs/common';
import { PortalAppsController } from './portal-apps.controller';
import { PortalAppsRepository } from './portal-apps.repository';
import { PortalAppsService } from './portal-apps.service';

@Module({
  controllers: [PortalAppsController],
  providers: [PortalAppsRepository, PortalAppsService],
  exports: [PortalAppsRepository],
})
export class PortalAppsModule {}
