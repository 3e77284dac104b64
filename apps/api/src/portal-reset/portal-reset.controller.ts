import { Body, Controller, Headers, HttpCode, Param, Post } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { IssuedInvitation, PatientDetail, PortalResetResult } from '@resetdesk/contracts';
import { IdempotencyService } from '../common/idempotency.service';
import { PatientsService } from '../patients/patients.service';
import { PortalAccountResetService } from './portal-account-reset.service';
import { PortalAccountUnlockService } from './portal-account-unlock.service';
import { PortalResetDto } from './portal-reset.dto';
import { RegistrationInvitationResendService } from './registration-invitation-resend.service';

@ApiTags('portal')
@Controller('api/patients/:id')
export class PortalResetController {
  constructor(
    private readonly resets: PortalAccountResetService,
    private readonly invitations: RegistrationInvitationResendService,
    private readonly unlocks: PortalAccountUnlockService,
    private readonly patients: PatientsService,
  ) {}

  @Post('portal-reset')
  @HttpCode(201)
  @ApiOperation({ summary: 'Close the portal account, revoke links, send a new registration email; answers the one-time PIN' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Replays return the first answer' })
  reset(@Param('id') id: string, @Body() body: PortalResetDto, @Headers('idempotency-key') key?: string): Promise<PortalResetResult> {
    return this.resets.reset(id, body, IdempotencyService.parseKey(key));
  }

  @Post('invitation/resend')
  @HttpCode(201)
  @ApiOperation({ summary: 'New registration link and PIN (the old link stops working); 409 when an account is active' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  resend(@Param('id') id: string, @Headers('idempotency-key') key?: string): Promise<IssuedInvitation> {
    return this.invitations.resend(id, IdempotencyService.parseKey(key));
  }

  @Post('portal-unlock')
  @HttpCode(200)
  @ApiOperation({ summary: 'Unlock a locked portal account; answers the patient; 409 when not locked' })
  async unlock(@Param('id') id: string): Promise<PatientDetail> {
    await this.unlocks.unlock(id);
    return this.patients.detail(id);
  }
}
