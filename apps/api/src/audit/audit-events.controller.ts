import { Body, Controller, Get, HttpCode, Logger, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { AuditChainVerification, AuditCheckpoint, AuditCheckpointVerification, AuditEventView } from '@resetdesk/contracts';
import { Roles } from '../auth/auth.decorators';
import { contentRange, parseListQuery } from '../common/list-query';
import { auditCsvHeader, auditCsvRow } from './audit-events.csv';
import { AuditCheckpointDto } from './audit-checkpoint.dto';
import { AUDIT_EVENT_FILTERS, AUDIT_EVENT_SORTABLE, AuditEventsService } from './audit-events.service';

/** Resolves when the response can take more data, or when the client has gone away. */
function drained(response: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

@ApiTags('audit-events')
@Roles('practice_admin')
@Controller('api/audit-events')
export class AuditEventsController {
  private readonly logger = new Logger(AuditEventsController.name);

  constructor(private readonly events: AuditEventsService) {}

  @Get()
  @ApiOperation({
    summary: 'Audit log of the practice, newest first (ra-data-simple-rest protocol; Content-Range header)',
    description:
      'Filters: action (one or a list), actorId, patientId, from, to (YYYY-MM-DD in the practice time zone, `to` including that whole day, or ISO date-times), id (list). Sort: createdAt, seq, action.',
  })
  @ApiQuery({ name: 'filter', required: false, example: '{"action":"portal.reset","from":"2026-11-01","to":"2026-11-24"}' })
  @ApiQuery({ name: 'range', required: false, example: '[0,49]' })
  @ApiQuery({ name: 'sort', required: false, example: '["createdAt","DESC"]' })
  async list(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<AuditEventView[]> {
    const listQuery = parseListQuery(query, { sortable: AUDIT_EVENT_SORTABLE, filters: AUDIT_EVENT_FILTERS });
    const { items, total } = await this.events.list(listQuery);
    response.setHeader('Content-Range', contentRange('audit-events', listQuery.offset, items.length, total));
    return items;
  }

  // Declared before ':id' so Express does not read "verify" or "export" as an event id.
  @Get('verify')
  @ApiOperation({ summary: "Recompute the practice's hash chain: {valid, checked, firstBrokenId}" })
  verify(): Promise<AuditChainVerification> {
    return this.events.verify();
  }

  @Get('checkpoint')
  @ApiOperation({
    summary: 'A signed checkpoint of the chain head: {practiceId, seq, hash, signedAt, signature}',
    description:
      'signature is a compact JWS (EdDSA, Ed25519) over {practiceId, seq, hash, signedAt}, verifiable offline with the key at /api/audit-events/checkpoint/key. 409 when the chain does not verify.',
  })
  checkpoint(): Promise<AuditCheckpoint> {
    return this.events.checkpoint();
  }

  @Get('checkpoint/key')
  @ApiOperation({ summary: 'The public key (JWK, Ed25519) that checkpoint signatures verify with' })
  checkpointKey() {
    return this.events.publicKey();
  }

  @Post('checkpoint/verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Whether a checkpoint is genuine and the chain still extends it: {valid, signatureValid, extendsCheckpoint, checked, firstBrokenId}',
  })
  verifyCheckpoint(@Body() checkpoint: AuditCheckpointDto): Promise<AuditCheckpointVerification> {
    return this.events.verifyCheckpoint(checkpoint);
  }

  @Get('export')
  @ApiOperation({ summary: 'The filtered events as CSV, oldest first (same filter parameter as the list; no range limit)' })
  @ApiQuery({ name: 'filter', required: false, example: '{"action":["portal.reset"]}' })
  @ApiProduces('text/csv')
  async export(@Query() query: Record<string, unknown>, @Res() response: Response): Promise<void> {
    // Everything that can be refused is checked before the first byte, so refusals get the
    // normal JSON error instead of a half-written file.
    const { filter } = parseListQuery({ filter: query.filter }, { sortable: AUDIT_EVENT_SORTABLE, filters: AUDIT_EVENT_FILTERS });
    const criteria = await this.events.criteria(filter);
    const today = await this.events.practiceToday();
    await this.events.recordExport(filter);
    const batches = this.events.exportBatches(criteria);

    response.status(200);
    response.setHeader('Content-Type', 'text/csv; charset=utf-8');
    response.setHeader('Content-Disposition', `attachment; filename="audit-log-${today}.csv"`);
    response.setHeader('Cache-Control', 'no-store');
    try {
      // The byte-order mark makes Excel read the file as UTF-8 (staff and patient names).
      response.write('\uFEFF' + auditCsvHeader());
      for await (const batch of batches) {
        if (response.destroyed) break;
        const patients = await this.events.patientsOf(batch);
        if (!response.write(batch.map((event) => auditCsvRow(event, patients.get(event.patientId ?? ''))).join(''))) await drained(response);
      }
      response.end();
    } catch (error) {
      // Headers are gone: the only honest signal left is to cut the download short.
      this.logger.error({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'audit export failed');
      response.destroy(error instanceof Error ? error : undefined);
    }
  }

  @Get(':id')
  @ApiOperation({ summary: 'One audit event of the practice (404 for another practice)' })
  get(@Param('id') id: string): Promise<AuditEventView> {
    return this.events.get(id);
  }
}
