import { Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { MessagePreview, OutboxMessageView } from '@resetdesk/contracts';
import { Roles } from '../auth/auth.decorators';
import { contentRange, parseListQuery } from '../common/list-query';
import { OUTBOX_FILTERS, OUTBOX_SORTABLE, OutboxAdminService } from './outbox-admin.service';

@ApiTags('emails')
@Roles('practice_admin')
@Controller('api/emails')
export class OutboxAdminController {
  constructor(private readonly outbox: OutboxAdminService) {}

  @Get()
  @ApiOperation({ summary: 'The outbox: emails, texts and voice messages (ra-data-simple-rest protocol; Content-Range header)' })
  @ApiQuery({ name: 'filter', required: false, example: '{"status":"dead"}', description: 'status, channel, template, patientId, q (address prefix), id' })
  @ApiQuery({ name: 'range', required: false, example: '[0,24]' })
  @ApiQuery({ name: 'sort', required: false, example: '["createdAt","DESC"]' })
  async list(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<OutboxMessageView[]> {
    const listQuery = parseListQuery(query, { sortable: OUTBOX_SORTABLE, filters: OUTBOX_FILTERS });
    const { items, total } = await this.outbox.list(listQuery);
    response.setHeader('Content-Range', contentRange('emails', listQuery.offset, items.length, total));
    return items;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One outbox message' })
  detail(@Param('id') id: string): Promise<OutboxMessageView> {
    return this.outbox.detail(id);
  }

  @Get(':id/preview')
  @ApiOperation({ summary: 'The message rendered as sent, with its link token or code replaced by a placeholder' })
  preview(@Param('id') id: string): Promise<MessagePreview> {
    return this.outbox.preview(id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Queue a dead or retrying message again, due now (409 otherwise)' })
  retry(@Param('id') id: string): Promise<OutboxMessageView> {
    return this.outbox.retry(id);
  }
}
