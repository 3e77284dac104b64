import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditChainHead, AuditEvent } from './audit-event.entity';
import { AuditChainKeys } from './audit-chain-keys';
import { AuditEventsController } from './audit-events.controller';
import { AuditEventsService } from './audit-events.service';
import { AuditLogService } from './audit-log.service';

/** The audit log: its only writer (AuditLogService, for every feature) and the admin's view of it. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent, AuditChainHead])],
  controllers: [AuditEventsController],
  providers: [AuditEventsService, AuditLogService, AuditChainKeys],
  exports: [AuditLogService, AuditChainKeys],
})
export class AuditModule {}
