import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditChainHead, AuditEvent } from '../audit/audit-event.entity';
import { AuditChainKeys } from '../audit/audit-chain-keys';
import { AuditLogService } from '../audit/audit-log.service';
import { UnitOfWork } from '../database/unit-of-work';
import { InvitationSecrets } from '../invitations/invitation-secrets';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { TenantScope } from './tenant-scope';

/** The few services every feature module needs: transactions, tenant scope, audit, hashing, secrets. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent, AuditChainHead])],
  providers: [UnitOfWork, TenantScope, AuditLogService, AuditChainKeys, PasswordHasher, InvitationSecrets],
  exports: [UnitOfWork, TenantScope, AuditLogService, AuditChainKeys, PasswordHasher, InvitationSecrets],
})
export class CommonModule {}
