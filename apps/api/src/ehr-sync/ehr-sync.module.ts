import { Module } from '@nestjs/common';
import { ChartImportModule } from '../chart-import/chart-import.module';
import { ChartImportService } from '../chart-import/chart-import.service';
import { FhirSyncScheduler } from './fhir-sync.scheduler';
import { FhirSyncService } from './fhir-sync.service';
import { SYNC_IMPORTER, SyncImporter } from './sync-importer';

/** Pulling charts from the EHR: the sync itself (CLI and schedule) and its schedule, writing through the chart import. */
@Module({
  imports: [ChartImportModule],
  providers: [FhirSyncService, FhirSyncScheduler, { provide: SYNC_IMPORTER, useExisting: ChartImportService }],
  exports: [FhirSyncService, FhirSyncScheduler],
})
export class EhrSyncModule {}

/** The compiler checks here that the chart import still offers what the sync calls. */
export const chartImportFitsSync: ChartImportService extends SyncImporter ? true : never = true;
