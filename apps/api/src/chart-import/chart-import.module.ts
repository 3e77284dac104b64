import { Module } from '@nestjs/common';
import { ChartImportService } from './chart-import.service';

/** FHIR chart imports: the importer (used by the CLI, uploads, the EHR sync and the seed). */
@Module({
  providers: [ChartImportService],
  exports: [ChartImportService],
})
export class ChartImportModule {}
