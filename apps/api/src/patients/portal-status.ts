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

/**
 * The patient's newest registration link was locked by five wrong tries (no link or account
 * came after it). Such a patient has neither an account nor a usable invitation, yet "No
 * account" would hide the one thing staff can fix: a new registration email.
 */
export function linkLockedSql(patientAlias: string): string {
  return (
    `EXISTS (SELECT 1 FROM registration_invitations li WHERE li.patientId = ${patientAlias}.id AND li.status = 'locked'` +
    ` AND NOT EXISTS (SELECT 1 FROM registration_invitations ln WHERE ln.patientId = li.patientId AND ln.createdAt > li.createdAt))`
  );
}

/** 1 when the row's status is link_locked, for list columns. */
export function linkLockedColumnSql(patientAlias: string): string {
  return `CASE WHEN pa.id IS NULL AND ri.id IS NULL AND ${linkLockedSql(patientAlias)} THEN 1 ELSE 0 END`;
}

export function portalStatusCondition(status: PortalStatus): string {
  switch (status) {
    case 'active':
      return "pa.status = 'active'";
    case 'locked':
      return "pa.status = 'locked'";
    case 'invited':
      return 'pa.id IS NULL AND ri.id IS NOT NULL';
    case 'link_locked':
      return `pa.id IS NULL AND ri.id IS NULL AND ${linkLockedSql('p')}`;
    case 'none':
      return `pa.id IS NULL AND ri.id IS NULL AND NOT ${linkLockedSql('p')}`;
  }
}

export function derivePortalStatus(accountStatus: string | null | undefined, hasPendingInvitation: boolean, newestLinkLocked = false): PortalStatus {
  if (accountStatus === 'locked') return 'locked';
  if (accountStatus === 'active') return 'active';
  if (hasPendingInvitation) return 'invited';
  return newestLinkLocked ? 'link_locked' : 'none';
}
