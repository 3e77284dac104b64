import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { PatientDetail, PatientListItem } from '@resetdesk/contracts';
import { contentRange, parseListQuery } from '../common/list-query';
import { PATIENT_FILTERS, PATIENT_SORTABLE, PatientsService } from './patients.service';

@ApiTags('patients')
@Controller('api/patients')
export class PatientsController {
  constructor(private readonly patients: PatientsService) {}

  @Get()
  @ApiOperation({ summary: 'Search patients (ra-data-simple-rest protocol; Content-Range header)' })
  @ApiQuery({ name: 'filter', required: false, example: '{"q":"smi"}' })
  @ApiQuery({ name: 'range', required: false, example: '[0,24]' })
  @ApiQuery({ name: 'sort', required: false, example: '["lastName","ASC"]' })
  async list(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<PatientListItem[]> {
    const listQuery = parseListQuery(query, { sortable: PATIENT_SORTABLE, filters: PATIENT_FILTERS });
    const { items, total } = await this.patients.list(listQuery);
    response.setHeader('Content-Range', contentRange('patients', listQuery.offset, items.length, total));
    return items;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One patient with portal account, invitation and chart checksum' })
  detail(@Param('id') id: string): Promise<PatientDetail> {
    return this.patients.detail(id);
  }

  @Get(':id/chart')
  @ApiOperation({ summary: 'The clinical entries, read-only (audited as patient.viewed)' })
  chart(@Param('id') id: string): Promise<Record<string, unknown[]>> {
    return this.patients.chart(id);
  }

  @Get(':id/portal-history')
  @ApiOperation({ summary: 'Portal accounts, invitations and audit events of this patient, newest first' })
  portalHistory(@Param('id') id: string) {
    return this.patients.portalHistory(id);
  }
}
