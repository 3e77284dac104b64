import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PatientDetail } from '@resetdesk/contracts';
import { endSessionsRefusal } from '../portal-reset/portal-action-rules';
import { PatientsService } from '../patients/patients.service';
import { PatientDeskActionRunner } from '../portal-reset/patient-desk-action.runner';
import { PortalAccess } from './portal-access.service';

/** Staff's "End portal sessions": the patient is signed out of /login and of every portal app. */
@ApiTags('portal')
@Controller('api/patients/:id/portal-sessions')
export class PortalSessionsController {
  constructor(
    private readonly runner: PatientDeskActionRunner,
    private readonly access: PortalAccess,
    private readonly patients: PatientsService,
  ) {}

  @Post('end')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'End every portal and OpenID session, grant and refresh token of the patient’s account; apps get back-channel logout tokens. Answers the patient; 409 without an account',
  })
  async end(@Param('id') id: string): Promise<PatientDetail> {
    await this.runner.run({ patientId: id, scope: 'portal-sessions-end', body: {}, idempotencyKey: null }, async (manager, { patient, openAccount }) => {
      const refusal = endSessionsRefusal({ active: patient.active, email: patient.email, openAccountStatus: openAccount?.status ?? null });
      if (refusal) throw refusal;
      // The rule above refuses when there is no open account.
      await this.access.end(manager, openAccount!, 'staff', { alwaysAudit: true });
    });
    return this.patients.detail(id);
  }
}
