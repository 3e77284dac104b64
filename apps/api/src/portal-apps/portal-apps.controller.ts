import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Roles } from '../auth/auth.decorators';
import { contentRange, parseListQuery } from '../common/list-query';
import { PORTAL_APP_FILTERS, PORTAL_APP_SORTABLE, PortalAppView, PortalAppsService } from './portal-apps.service';

/** The practice's patient-portal apps: OpenID Connect clients of ResetDesk's provider at /oidc. */
@ApiTags('portal apps')
@Roles('practice_admin')
@Controller('api/portal-apps')
export class PortalAppsController {
  constructor(private readonly apps: PortalAppsService) {}

  @Get()
  @ApiOperation({ summary: 'Portal apps of the practice (ra-data-simple-rest protocol)' })
  @ApiQuery({ name: 'range', required: false, example: '[0,24]' })
  @ApiQuery({ name: 'sort', required: false, example: '["name","ASC"]' })
  async list(@Query() query: Record<string, unknown>, @Res({ passthrough: true }) response: Response): Promise<PortalAppView[]> {
    const listQuery = parseListQuery(query, { sortable: PORTAL_APP_SORTABLE, filters: PORTAL_APP_FILTERS });
    const { items, total } = await this.apps.list(listQuery);
    response.setHeader('Content-Range', contentRange('portal-apps', listQuery.offset, items.length, total));
    return items;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One portal app' })
  get(@Param('id') id: string): Promise<PortalAppView> {
    return this.apps.get(id);
  }

  @Post()
  @ApiOperation({
    summary: 'Register a portal app',
    description:
      'Body {name, redirectUris, postLogoutRedirectUris?, backchannelLogoutUri?, confidential?=true}. URIs must be https, except http://localhost and http://127.0.0.1. A confidential app answers its clientSecret here, once.',
  })
  create(@Body() body: Record<string, unknown>): Promise<PortalAppView & { clientSecret?: string }> {
    return this.apps.create(body);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Change name and URIs (client id and kind are fixed)' })
  update(@Param('id') id: string, @Body() body: Record<string, unknown>): Promise<PortalAppView> {
    return this.apps.update(id, body);
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a portal app: its tokens stop working at once' })
  remove(@Param('id') id: string): Promise<PortalAppView> {
    return this.apps.remove(id);
  }
}
