import { Injectable } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { ListQuery } from '../common/list-query';
import { RequestContext } from '../common/request-context';
import { newLinkToken, sha256Hex } from '../common/secrets';
import { isRecordId } from '../common/tenant-scope';
import { UnitOfWork } from '../database/unit-of-work';
import { PortalApp } from './portal-app.entity';
import { uriListProblem, uriProblem } from './portal-app-uris';
import { PortalAppsRepository } from './portal-apps.repository';

export const PORTAL_APP_SORTABLE = ['name', 'clientId', 'createdAt'] as const;
export const PORTAL_APP_FILTERS = [] as const;

export interface PortalAppView {
  id: string;
  name: string;
  clientId: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  confidential: boolean;
  createdAt: string;
}

const EDITABLE = ['name', 'redirectUris', 'postLogoutRedirectUris', 'backchannelLogoutUri'] as const;
/** Sent back by react-admin on edit; accepted and ignored (the client id and kind never change). */
const READ_ONLY = ['id', 'clientId', 'confidential', 'createdAt'] as const;
const MAX_URIS = 10;

export function toPortalAppView(app: PortalApp): PortalAppView {
  return {
    id: app.id,
    name: app.name,
    clientId: app.clientId,
    redirectUris: JSON.parse(app.redirectUris) as string[],
    postLogoutRedirectUris: JSON.parse(app.postLogoutRedirectUris) as string[],
    backchannelLogoutUri: app.backchannelLogoutUri,
    confidential: !!app.confidential,
    createdAt: new Date(app.createdAt).toISOString(),
  };
}

interface PortalAppInput {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
}

/**
 * The practice's portal apps (OpenID Connect clients). A confidential app's secret is 256 random
 * bits shown once at creation and kept only as its SHA-256; every change is audited.
 */
@Injectable()
export class PortalAppsService {
  constructor(
    private readonly apps: PortalAppsRepository,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLogService,
  ) {}

  async list(query: ListQuery): Promise<{ items: PortalAppView[]; total: number }> {
    const sort = query.sort ?? { field: 'name', order: 'ASC' as const };
    const [rows, total] = await this.apps.list(RequestContext.practiceId(), query.offset, query.limit, sort);
    return { items: rows.map(toPortalAppView), total };
  }

  async get(id: string): Promise<PortalAppView> {
    return toPortalAppView(await this.findOrFail(id));
  }

  async create(body: Record<string, unknown>): Promise<PortalAppView & { clientSecret?: string }> {
    rejectUnknown(body, [...EDITABLE, 'confidential']);
    if (body.confidential !== undefined && typeof body.confidential !== 'boolean') throw DomainException.validation({ confidential: 'Choose yes or no.' });
    const confidential = body.confidential !== false;
    const input = validate(body, true);
    const practiceId = RequestContext.practiceId();
    const clientSecret = confidential ? newLinkToken() : null;
    const now = new Date();
    const app: PortalApp = {
      id: randomUUID(),
      practiceId,
      name: input.name,
      clientId: `rd-${randomBytes(12).toString('base64url')}`,
      clientSecretHash: clientSecret ? sha256Hex(clientSecret) : null,
      confidential,
      redirectUris: JSON.stringify(input.redirectUris),
      postLogoutRedirectUris: JSON.stringify(input.postLogoutRedirectUris),
      backchannelLogoutUri: input.backchannelLogoutUri,
      createdAt: now,
      updatedAt: now,
    };
    await this.uow.run(async (manager) => {
      await this.apps.insert(manager, app);
      await this.audit.append(manager, practiceId, {
        action: 'portal_app.created',
        details: {
          portalAppId: app.id,
          name: app.name,
          clientId: app.clientId,
          confidential,
          redirectUris: input.redirectUris,
          backchannelLogoutUri: input.backchannelLogoutUri,
        },
      });
    });
    return { ...toPortalAppView(app), ...(clientSecret ? { clientSecret } : {}) };
  }

  async update(id: string, body: Record<string, unknown>): Promise<PortalAppView> {
    rejectUnknown(body, [...EDITABLE, ...READ_ONLY]);
    const practiceId = RequestContext.practiceId();
    return this.uow.run(async (manager) => {
      const current = await this.findOrFail(id, manager);
      const before = toPortalAppView(current);
      const input = validate({ ...before, ...pick(body, EDITABLE) }, false);
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      for (const field of EDITABLE) {
        if (JSON.stringify(before[field]) !== JSON.stringify(input[field])) changes[field] = { from: before[field], to: input[field] };
      }
      if (Object.keys(changes).length === 0) return before;
      const now = new Date();
      const row: Partial<PortalApp> = {
        name: input.name,
        redirectUris: JSON.stringify(input.redirectUris),
        postLogoutRedirectUris: JSON.stringify(input.postLogoutRedirectUris),
        backchannelLogoutUri: input.backchannelLogoutUri,
        updatedAt: now,
      };
      await this.apps.update(manager, current.id, row);
      await this.audit.append(manager, practiceId, { action: 'portal_app.updated', details: { portalAppId: current.id, clientId: current.clientId, changes } });
      return toPortalAppView({ ...current, ...row });
    });
  }

  async remove(id: string): Promise<PortalAppView> {
    const practiceId = RequestContext.practiceId();
    return this.uow.run(async (manager) => {
      const current = await this.findOrFail(id, manager);
      await this.apps.delete(manager, current.id);
      await this.audit.append(manager, practiceId, {
        action: 'portal_app.deleted',
        details: { portalAppId: current.id, name: current.name, clientId: current.clientId },
      });
      return toPortalAppView(current);
    });
  }

  private async findOrFail(id: string, manager?: Parameters<PortalAppsRepository['find']>[2]): Promise<PortalApp> {
    const found = isRecordId(id) ? await this.apps.find(RequestContext.practiceId(), id, manager) : null;
    if (!found) throw DomainException.notFound('portal app');
    return found;
  }
}

function rejectUnknown(body: Record<string, unknown>, allowed: readonly string[]): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new DomainException('bad_request', 'The body must be a JSON object.');
  const unknown = Object.keys(body).filter((key) => !allowed.includes(key));
  if (unknown.length) throw new DomainException('bad_request', `property ${unknown.join(', ')} should not exist`);
}

function pick(body: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => body[f] !== undefined).map((f) => [f, body[f]]));
}

function validate(body: Record<string, unknown>, creating: boolean): PortalAppInput {
  const errors: Record<string, string> = {};
  const name = typeof body.name === 'string' ? body.name.trim() : '';
  if (!name) errors.name = 'Enter a name.';
  else if (name.length > 100) errors.name = 'A name can be at most 100 characters.';
  const redirectProblem = uriListProblem(body.redirectUris, { required: true, max: MAX_URIS });
  if (redirectProblem) errors.redirectUris = redirectProblem;
  const postLogoutProblem = uriListProblem(body.postLogoutRedirectUris, { required: false, max: MAX_URIS });
  if (postLogoutProblem) errors.postLogoutRedirectUris = postLogoutProblem;
  const backchannel =
    body.backchannelLogoutUri === undefined || body.backchannelLogoutUri === null || body.backchannelLogoutUri === '' ? null : body.backchannelLogoutUri;
  const backchannelProblem = backchannel === null ? null : uriProblem(backchannel);
  if (backchannelProblem) errors.backchannelLogoutUri = backchannelProblem;
  if (Object.keys(errors).length) throw DomainException.validation(errors);
  void creating;
  return {
    name,
    redirectUris: [...new Set(body.redirectUris as string[])],
    postLogoutRedirectUris: [...new Set((body.postLogoutRedirectUris as string[] | undefined) ?? [])],
    backchannelLogoutUri: backchannel as string | null,
  };
}
