import { Module } from '@nestjs/common';
import { AuditEventsController } from './audit-events.controller';
import { AuditEventsService } from './audit-events.service';

/** The admin's view of the audit log. AuditLogService (the writer) lives in CommonModule. */
@Module({
  controllers: [AuditEventsController],
  providers: [AuditEventsService],
})
export class AuditModule {}
