import { Injectable } from '@nestjs/common';
import { EntityManager, IsNull } from 'typeorm';
import { AuditActor } from '../audit/audit-events';
import { AuditLogService } from '../audit/audit-log.service';
import { AppSecrets } from '../common/app-secrets';
import type { MessageKind } from '../outbox/message-definition';
import { OutboxService } from '../outbox/outbox.service';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { PortalSession } from '../portal-accounts/portal-session.entity';
import { PortalAppsRepository } from '../portal-apps/portal-apps.repository';
import { OidcStore } from './oidc-store';
import { PortalSubject } from './portal-subject.entity';

export type AccessEndTrigger = 'reset' | 'lock' | 'recovery' | 'staff';

/** The outbox message that carries an OpenID Back-Channel Logout token to a portal app. */
export const BACKCHANNEL_LOGOUT = {
  channel: 'backchannel_logout',
  kind: { template: 'backchannel-logout', subject: 'portal_app' } satisfies MessageKind,
} as const;

export interface AccessEnded {
  revokedPortalSessions: number;
  /** Sessions, grants, codes and tokens the OpenID Provider held for the patient. */
  revokedOidcRecords: number;
  appsNotified: { clientId: string; name: string; outboxMessageId: string }[];
}

/**
 * Ends a portal account's access everywhere, inside the caller's transaction: its /login
 * sessions, and every OpenID session, grant, code and refresh token of the patient, so no
 * portal app can sign them in or refresh a token any more. Each app the patient was signed in
 * to with a back-channel logout URI gets a logout token through the outbox (after commit, with
 * retries), naming the session (`sid`) that ended.
 */
@Injectable()
export class PortalAccess {
  constructor(
    private readonly store: OidcStore,
    private readonly apps: PortalAppsRepository,
    private readonly outbox: OutboxService,
    private readonly audit: AuditLogService,
    private readonly secrets: AppSecrets,
  ) {}

  async end(
    manager: EntityManager,
    account: Pick<PortalAccount, 'id' | 'practiceId' | 'patientId'>,
    trigger: AccessEndTrigger,
    options: { actor?: AuditActor; alwaysAudit?: boolean; portalSessionsAlreadyEnded?: number } = {},
  ): Promise<AccessEnded> {
    const revokedPortalSessions =
      (options.portalSessionsAlreadyEnded ?? 0) +
      ((await manager.update(PortalSession, { portalAccountId: account.id, revokedAt: IsNull() }, { revokedAt: new Date() })).affected ?? 0);
    const subject = await manager.findOneBy(PortalSubject, { patientId: account.patientId });
    const revoked = subject ? await this.store.revokeSubject(manager, subject.subject) : { signedIn: [], removed: 0 };

    const appsNotified: AccessEnded['appsNotified'] = [];
    const clientIds = [...new Set(revoked.signedIn.map((s) => s.clientId))];
    const apps = await this.apps.findByClientIds(manager, clientIds);
    for (const { clientId, sid } of revoked.signedIn) {
      const app = apps.find((a) => a.clientId === clientId && a.practiceId === account.practiceId);
      if (!app?.backchannelLogoutUri) continue;
      const message = await this.outbox.enqueue(manager, {
        practiceId: account.practiceId,
        patientId: account.patientId,
        channel: BACKCHANNEL_LOGOUT.channel,
        kind: BACKCHANNEL_LOGOUT.kind,
        toAddress: app.backchannelLogoutUri,
        subjectId: app.id,
        sealedSecret: this.secrets.sealForOutbox(sid),
      });
      appsNotified.push({ clientId, name: app.name, outboxMessageId: message.id });
    }

    const ended: AccessEnded = { revokedPortalSessions, revokedOidcRecords: revoked.removed, appsNotified };
    if (options.alwaysAudit || revokedPortalSessions > 0 || revoked.removed > 0) {
      await this.audit.append(
        manager,
        account.practiceId,
        {
          action: 'portal.sessions_ended',
          patientId: account.patientId,
          reason: trigger,
          details: {
            trigger,
            portalAccountId: account.id,
            revokedPortalSessions,
            revokedOidcRecords: revoked.removed,
            appsSignedIn: clientIds,
            appsNotified,
          },
        },
        options.actor,
      );
    }
    return ended;
  }
}
