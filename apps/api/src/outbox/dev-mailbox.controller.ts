import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { DevMailboxMessage } from '@resetdesk/contracts';
import { DomainException } from '../common/domain.exception';
import { contentRange } from '../common/list-query';
import { RequestContext } from '../common/request-context';
import { DevMailbox } from '../mail/dev-mailbox';

/** Development only, and for every staff role: it is how the team sees what patients would receive. */
@ApiTags('dev-mailbox')
@Controller('api/dev-mailbox')
export class DevMailboxController {
  constructor(private readonly mailbox: DevMailbox) {}

  @Get()
  @ApiOperation({ summary: "Messages delivered to the development mailbox for the user's practice, newest first (404 when SMTP_URL is set or in production)" })
  async list(@Res({ passthrough: true }) response: Response): Promise<DevMailboxMessage[]> {
    this.assertOn();
    const messages = await this.mailbox.list(RequestContext.practiceId());
    response.setHeader('Content-Range', contentRange('dev-mailbox', 0, messages.length, messages.length));
    return messages;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One message of the development mailbox' })
  async get(@Param('id') id: string): Promise<DevMailboxMessage> {
    this.assertOn();
    const message = await this.mailbox.get(RequestContext.practiceId(), id);
    if (!message) throw DomainException.notFound('message');
    return message;
  }

  private assertOn(): void {
    const off = this.mailbox.offReason;
    if (off) throw new DomainException('not_found', off);
  }
}
