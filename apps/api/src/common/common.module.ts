import { Global, Module } from '@nestjs/common';
import { UnitOfWork } from '../database/unit-of-work';
import { AppSecrets } from './app-secrets';
import { TenantScope } from './tenant-scope';

/** The kernel every feature module needs: transactions, tenant scope and the keys derived from APP_SECRET. */
@Global()
@Module({
  providers: [UnitOfWork, TenantScope, AppSecrets],
  exports: [UnitOfWork, TenantScope, AppSecrets],
})
export class CommonModule {}
