import { Global, Module } from '@nestjs/common';
import { SecurityNotices } from './security-notices';
import { ChartContactChanges } from './chart-contact-changes';

/** Security notices to patients (spec §12), available to every feature that changes access. */
@Global()
@Module({
  providers: [SecurityNotices, ChartContactChanges],
  exports: [SecurityNotices, ChartContactChanges],
})
export class NotificationsModule {}
