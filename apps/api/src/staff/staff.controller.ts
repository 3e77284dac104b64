import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { StaffMemberView } from '@resetdesk/contracts';
import { Roles } from '../auth/auth.decorators';
import { contentRange, parseListQuery } from '../common/list-query';
import { CreateStaffDto, UpdateStaffDto } from './staff.dto';
import { STAFF_FILTERS, STAFF_SORTABLE, StaffService } from './staff.service';

/** No DELETE on purpose: staff are deactivated, never deleted, so the audit log keeps its actors. */
@ApiTags('staff')
@Roles('practice_admin')
@Controller('api/staff')
export class StaffController {
  constructor(private readonly staff: StaffService) {}

  @Get()
  @ApiOperation({ summary: 'Staff of the practice (ra-data-simple-rest protocol; filters q, role, active, id)' })
  @ApiQuery({ name: 'filter', required: false, example: '{"q":"mor","active":true}' })
  @ApiQuery({ name: 'range', required: false, example: '[0,49]' })
  @ApiQuery({ name: 'sort', required: false, example: '["name","ASC"]' })
  async list(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<StaffMemberView[]> {
    const listQuery = parseListQuery(query, { sortable: STAFF_SORTABLE, filters: STAFF_FILTERS });
    const { items, total } = await this.staff.list(listQuery);
    response.setHeader('Content-Range', contentRange('staff', listQuery.offset, items.length, total));
    return items;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One staff member of the practice' })
  get(@Param('id') id: string): Promise<StaffMemberView> {
    return this.staff.get(id);
  }

  @Post()
  @ApiOperation({ summary: 'Add a staff member (email unique across ResetDesk; 409 when taken)' })
  create(@Body() body: CreateStaffDto): Promise<StaffMemberView> {
    return this.staff.create(body);
  }

  @Put(':id')
  @ApiOperation({
    summary: 'Change name, role, active or password',
    description:
      'Read-only fields sent back by react-admin (id, email, createdAt, lastLoginAt, practiceId) are accepted and not applied; a different email is refused. Deactivating ends the sessions of that user.',
  })
  update(@Param('id') id: string, @Body() body: UpdateStaffDto): Promise<StaffMemberView> {
    return this.staff.update(id, body);
  }

  @Post(':id/unlock')
  @HttpCode(200)
  @ApiOperation({ summary: "Lift a staff member's sign-in lock after too many failed attempts (409 when not locked)" })
  unlock(@Param('id') id: string): Promise<StaffMemberView> {
    return this.staff.unlock(id);
  }
}
