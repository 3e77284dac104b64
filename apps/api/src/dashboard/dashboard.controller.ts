import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DashboardCounts } from '@resetdesk/contracts';
import { DashboardService } from './dashboard.service';

@ApiTags('dashboard')
@Controller('api/dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @ApiOperation({
    summary: 'Counts for the console home page, for any staff user of the practice',
    description:
      'lockedAccounts, pendingInvitations (pending, not expired), expiringInvitations (of those, expiring within 24 h), resetsToday (portal.reset since midnight in the practice time zone), messagesRetrying, messagesDead.',
  })
  get(): Promise<DashboardCounts> {
    return this.dashboard.counts();
  }
}
