import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EntityManager, LessThan } from 'typeorm';
import { sha256Hex } from '../common/secrets';
import { UnitOfWork } from '../database/unit-of-work';
import { AppSecrets } from '../common/app-secrets';
import { OidcPayload } from './oidc-payload.entity';

/** The provider's models whose rows this store holds (the Client model reads portal_apps instead). */
export type StoredModel = string;
export type OidcPayloadData = Record<string, unknown> & {
  jti?: string;
  uid?: string;
  grantId?: string;
  accountId?: string;
  exp?: number;
  consumed?: number;
  session?: { accountId?: string };
  result?: { login?: { accountId?: string } };
  authorizations?: Record<string, { sid?: string; grantId?: string }>;
};

const SWEEP_MS = 10 * 60_000;
const SEAL_PURPOSE = 'oidc-store' as const;

export const idHashOf = (model: string, id: string): string => sha256Hex(`${model}:${id}`);
export const grantHashOf = (grantId: string): string => sha256Hex(`grant:${grantId}`);
const uidHashOf = (uid: string): string => sha256Hex(`uid:${uid}`);

/**
 * oidc-provider's storage on TypeORM (see OidcPayload). Rows are found by hashes of ids that
 * only the provider and the browser or app holding them know, and payloads are sealed, so the
 * table alone opens no session and redeems no code or token. Expired rows are swept.
 */
@Injectable()
export class OidcStore implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('OidcStore');
  private readonly keys: AppSecrets;
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    private readonly uow: UnitOfWork,
    secrets: AppSecrets,
  ) {
    this.keys = secrets;
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      this.sweepExpired().catch((error: unknown) => this.logger.warn(`Could not sweep expired OpenID rows: ${String(error)}`));
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  onApplicationShutdown(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  private get manager(): EntityManager {
    return this.uow.dataSource.manager;
  }

  async upsert(model: string, id: string, payload: OidcPayloadData, expiresIn: number | undefined): Promise<void> {
    const now = new Date();
    const accountId = payload.accountId ?? payload.session?.accountId ?? payload.result?.login?.accountId ?? null;
    const row: OidcPayload = {
      idHash: idHashOf(model, id),
      model,
      accountId: typeof accountId === 'string' ? accountId.slice(0, 36) : null,
      grantIdHash: model === 'Grant' ? grantHashOf(id) : typeof payload.grantId === 'string' ? grantHashOf(payload.grantId) : null,
      uidHash: model === 'Session' && typeof payload.uid === 'string' ? uidHashOf(payload.uid) : null,
      sealedPayload: this.keys.seal(SEAL_PURPOSE, JSON.stringify(payload)),
      expiresAt: expiresIn ? new Date(now.getTime() + expiresIn * 1000) : null,
      createdAt: now,
    };
    await this.manager.upsert(OidcPayload, row, ['idHash']);
  }

  async find(model: string, id: string): Promise<OidcPayloadData | undefined> {
    return this.open(await this.manager.findOneBy(OidcPayload, { idHash: idHashOf(model, id) }));
  }

  async findByUid(uid: string): Promise<OidcPayloadData | undefined> {
    return this.open(await this.manager.findOneBy(OidcPayload, { model: 'Session', uidHash: uidHashOf(uid) }));
  }

  async consume(model: string, id: string): Promise<void> {
    const row = await this.manager.findOneBy(OidcPayload, { idHash: idHashOf(model, id) });
    const payload = this.open(row);
    if (!row || !payload) return;
    payload.consumed = Math.floor(Date.now() / 1000);
    await this.manager.update(OidcPayload, { idHash: row.idHash }, { sealedPayload: this.keys.seal(SEAL_PURPOSE, JSON.stringify(payload)) });
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.manager.delete(OidcPayload, { idHash: idHashOf(model, id) });
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.manager.delete(OidcPayload, { model, grantIdHash: grantHashOf(grantId) });
  }

  /**
   * Ends everything the provider holds for a patient's subject, in the caller's transaction: its
   * sessions, interactions, grants, codes and tokens. Answers the sessions' authorizations (which
   * app was signed in, under which `sid`) so each app can be told.
   */
  async revokeSubject(manager: EntityManager, accountId: string): Promise<{ signedIn: { clientId: string; sid: string }[]; removed: number }> {
    const rows = await manager.find(OidcPayload, { where: { accountId, model: 'Session' } });
    const signedIn: { clientId: string; sid: string }[] = [];
    for (const row of rows) {
      const payload = this.open(row);
      for (const [clientId, authorization] of Object.entries(payload?.authorizations ?? {})) {
        if (authorization?.sid) signedIn.push({ clientId, sid: authorization.sid });
      }
    }
    // Tokens minted from a grant carry the grant's id but, for codes, always the account too.
    const grants = await manager.find(OidcPayload, { where: { accountId, model: 'Grant' }, select: { idHash: true, grantIdHash: true } });
    let removed = (await manager.delete(OidcPayload, { accountId })).affected ?? 0;
    for (const grant of grants) if (grant.grantIdHash) removed += (await manager.delete(OidcPayload, { grantIdHash: grant.grantIdHash })).affected ?? 0;
    return { signedIn, removed };
  }

  async sweepExpired(): Promise<number> {
    const result = await this.manager.delete(OidcPayload, { expiresAt: LessThan(new Date()) });
    return result.affected ?? 0;
  }

  private open(row: OidcPayload | null): OidcPayloadData | undefined {
    if (!row) return undefined;
    if (row.expiresAt && new Date(row.expiresAt).getTime() <= Date.now()) return undefined;
    try {
      return JSON.parse(this.keys.unseal(SEAL_PURPOSE, row.sealedPayload)) as OidcPayloadData;
    } catch {
      // Sealed under another APP_SECRET: as good as absent.
      return undefined;
    }
  }
}
