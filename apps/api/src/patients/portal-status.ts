import type { PortalStatus } from '@resetdesk/contracts';
import { SelectQueryBuilder, ObjectLiteral } from 'typeorm';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';

/**
 * Portal status is derived, never stored on the chart: the open account (at most one, by a
 * unique index) and the pending, unexpired invitation (at most one) decide it.
 */
const openAccountOn = (patientAlias: string) => `pa.patientId = ${patientAlias}.id AND pa.openMarker = 1`;
const usableInvitationOn = (patientAlias: string, now: string) => `ri.patientId = ${patientAlias}.id AND ri.pendingMarker = 1 AND ri.expiresAt > ${now}`;

export function joinPortalState<E extends ObjectLiteral>(qb: SelectQueryBuilder<E>, patientAlias: string, now: Date): SelectQueryBuilder<E> {
  return qb
    .leftJoin(PortalAccount, 'pa', openAccountOn(patientAlias))
    .leftJoin(RegistrationInvitation, 'ri', usableInvitationOn(patientAlias, ':portalNow'), { portalNow: now });
}

/** The same joins as joinPortalState, as plain SQL with one positional value (`now`). */
export function portalStateJoinsSql(patientAlias: string): string {
  return `LEFT JOIN portal_accounts pa ON ${openAccountOn(patientAlias)} LEFT JOIN registration_invitations ri ON ${usableInvitationOn(patientAlias, '?')}`;
}

export function portalStatusCondition(status: PortalStatus): string {
  switch (status) {
    case 'active':
      return "pa.status = 'active'";
    case 'locked':
      return "pa.status = 'locked'";
    case 'invited':
      return 'pa.id IS NULL AND ri.id IS NOT NULL';
    case 'none':
      return 'pa.id IS NULL AND ri.id IS NULL';
  }
}

export function derivePortalStatus(accountStatus: string | null | undefined, hasPendingInvitation: boolean): PortalStatus {
  if (accountStatus === 'locked') return 'locked';
  if (accountStatus === 'active') return 'active';
  return hasPendingInvitation ? 'invited' : 'none';
}
