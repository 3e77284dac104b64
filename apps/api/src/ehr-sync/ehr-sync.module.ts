import { Module } from '@nestjs/common';
import { FhirSyncScheduler } from './fhir-sync.scheduler';
import { FhirSyncService } from './fhir-sync.service';

/** Pulling charts from the EHR: the sync itself (CLI and schedule) and its schedule. */
@Module({
  providers: [FhirSyncService, FhirSyncScheduler],
  exports: [FhirSyncService, FhirSyncScheduler],
})
export class EhrSyncModule {}
