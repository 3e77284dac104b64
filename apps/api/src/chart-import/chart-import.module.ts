import { Module } from '@nestjs/common';
import { ChartImportService } from './chart-import.service';
import { ChartImportJobs } from './chart-import-jobs';
import { ChartImportsController } from './chart-imports.controller';

/** FHIR chart imports: the importer (used by the CLI, uploads, the EHR sync and the seed). */
@Module({
  controllers: [ChartImportsController],
  providers: [ChartImportService, ChartImportJobs],
  exports: [ChartImportService, ChartImportJobs],
})
export class ChartImportModule {}
