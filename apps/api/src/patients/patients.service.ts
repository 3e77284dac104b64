import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import {
  CLINICAL_ENTRY_KINDS,
  PORTAL_STATUSES,
  type AuditEventView,
  type InvitationView,
  type PatientDetail,
  type PatientListItem,
  type PortalAccountView,
  type PortalStatus,
} from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { AuditEvent } from '../audit/audit-event.entity';
import { toAuditEventView } from '../audit/audit-event.view';
import { DomainException } from '../common/domain.exception';
import { ListQuery, filterIds, filterString } from '../common/list-query';
import { iso, maskEmail } from '../common/masking';
import { TenantScope } from '../common/tenant-scope';
import { UnitOfWork } from '../database/unit-of-work';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { availablePortalActions } from '../portal-reset/portal-action-rules';
import { chartChecksum } from './chart-checksum';
import { ClinicalEntry } from './clinical-entry.entity';
import { Patient, PatientInactiveReason } from './patient.entity';
import { indexedPatientSearch, searchCondition } from './patient-search';
import { keptPracticeTotalOf, readSearchPrefixCounts, selectKeptPracticeTotal } from './patient-search-counts';
import { derivePortalStatus, joinPortalState, linkLockedColumnSql, portalStateJoinsSql, portalStatusCondition } from './portal-status';

export const PATIENT_SORTABLE = ['id', 'mrn', 'firstName', 'lastName', 'dateOfBirth', 'email', 'phone'] as const;
export const PATIENT_FILTERS = ['q', 'portalStatus', 'dateOfBirth', 'id', 'invitationExpiring'] as const;
/** `invitationExpiring`: invited patients whose link expires within this many hours (the dashboard's card). */
export const INVITATION_EXPIRING_HOURS = 24;

interface PatientRow {
  p_id: string;
  p_mrn: string;
  p_firstName: string;
  p_lastName: string;
  p_dateOfBirth: string;
  p_email: string | null;
  p_phone: string | null;
  p_active: boolean | number | string;
  p_inactiveReason: PatientInactiveReason | null;
  p_contactChangedAt: Date | string | null;
  accountStatus: string | null;
  accountUsername: string | null;
  accountLastLoginAt: Date | string | null;
  invitationId: string | null;
  linkLocked: number | string | null;
}

@Injectable()
export class PatientsService {
  constructor(
    private readonly tenant: TenantScope,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLogService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async list(query: ListQuery): Promise<{ items: PatientListItem[]; total: number }> {
    const qb = joinPortalState(this.tenant.query(Patient, 'p'), 'p', new Date());
    const { filter } = query;

    const ids = filterIds(filter);
    if (ids) qb.andWhere(ids.length ? 'p.id IN (:...ids)' : '1 = 0', { ids });

    const q = filterString(filter, 'q')?.trim();

    const portalStatus = filterString(filter, 'portalStatus', 'portal status');
    if (portalStatus) {
      if (!PORTAL_STATUSES.includes(portalStatus as PortalStatus)) {
        throw new DomainException('bad_request', `Unknown portal status "${portalStatus}". Use one of: ${PORTAL_STATUSES.join(', ')}.`);
      }
      qb.andWhere(portalStatusCondition(portalStatus as PortalStatus));
    }

    const dateOfBirth = filterString(filter, 'dateOfBirth', 'date of birth');
    if (dateOfBirth) {
      if (!isCalendarDate(dateOfBirth)) throw new DomainException('bad_request', 'The dateOfBirth filter must be a date as YYYY-MM-DD.');
      qb.andWhere('p.dateOfBirth = :dateOfBirth', { dateOfBirth });
    }

    const expiring = filter.invitationExpiring;
    if (expiring !== undefined && expiring !== null && expiring !== false && expiring !== '') {
      if (expiring !== true && expiring !== 'true') throw new DomainException('bad_request', 'The invitationExpiring filter must be true.');
      const expiringBy = new Date(Date.now() + INVITATION_EXPIRING_HOURS * 3_600_000);
      qb.andWhere('pa.id IS NULL AND ri.id IS NOT NULL AND ri.expiresAt <= :expiringBy', { expiringBy });
    }

    // Only the search box (or nothing) filters: the shapes MySQL answers from its search indexes and kept counts.
    const searchBoxOnly = !ids && !portalStatus && !dateOfBirth && (expiring === undefined || expiring === null || expiring === false || expiring === '');
    const sort = query.sort ?? { field: 'lastName', order: 'ASC' as const };
    const orderBy = () => {
      qb.orderBy(`p.${sort.field}`, sort.order);
      if (sort.field === 'lastName') qb.addOrderBy('p.firstName', sort.order);
      if (sort.field !== 'id') qb.addOrderBy('p.id', 'ASC');
    };

    // The search box alone, sorted by name: the front desk's everyday query gets the index path,
    // page and columns in one statement.
    if (q && this.uow.isMysql && searchBoxOnly && sort.field === 'lastName') {
      const found = await indexedPatientSearch<PatientRow>(
        this.uow.dataSource.manager,
        this.tenant.practiceId,
        q,
        { offset: query.offset, limit: query.limit, order: sort.order },
        { select: LIST_COLUMNS_SQL, joins: portalStateJoinsSql('p'), values: [new Date()] },
      );
      return { items: found.rows.map(toListItem), total: found.total };
    }

    if (q) qb.andWhere(searchCondition(q));
    // The whole practice, unfiltered (the list as the console first opens it): MySQL's kept count,
    // not a walk over every patient, read by the page's own statement. Only a page past the end
    // has no row to carry it.
    if (!q && this.uow.isMysql && searchBoxOnly) {
      orderBy();
      const rows = await selectKeptPracticeTotal(selectListColumns(qb), this.tenant.practiceId)
        .offset(query.offset)
        .limit(query.limit)
        .getRawMany<PatientRow>();
      const total = rows.length
        ? keptPracticeTotalOf(rows[0]!)
        : (await readSearchPrefixCounts(this.uow.dataSource.manager, this.tenant.practiceId, null)).practiceTotal;
      return { items: rows.map(toListItem), total };
    }
    const total = await qb.getCount();
    orderBy();
    const rows = await selectListColumns(qb).offset(query.offset).limit(query.limit).getRawMany<PatientRow>();
    return { items: rows.map(toListItem), total };
  }

  async detail(id: string): Promise<PatientDetail> {
    const patient = await this.tenant.findOrFail(Patient, id, 'patient');
    const manager = this.uow.dataSource.manager;
    const [account, invitation, entries] = await Promise.all([
      manager.findOne(PortalAccount, { where: { patientId: id, practiceId: patient.practiceId, openMarker: 1 } }),
      manager.findOne(RegistrationInvitation, { where: { patientId: id, practiceId: patient.practiceId }, order: { createdAt: 'DESC' } }),
      manager.find(ClinicalEntry, { where: { patientId: id, practiceId: patient.practiceId } }),
    ]);
    const invitationView = invitation ? await this.invitationView(invitation) : null;
    const pendingUsable = invitation?.status === 'pending' && invitation.expiresAt.getTime() > Date.now();
    return {
      id: patient.id,
      mrn: patient.mrn,
      firstName: patient.firstName,
      lastName: patient.lastName,
      dateOfBirth: patient.dateOfBirth,
      email: patient.email,
      phone: patient.phone,
      portalStatus: derivePortalStatus(account?.status, pendingUsable, invitation?.status === 'locked'),
      portalUsername: account?.username ?? null,
      lastLoginAt: iso(account?.lastLoginAt),
      active: patient.active,
      inactiveReason: patient.inactiveReason,
      contactChangedAt: iso(patient.contactChangedAt),
      contactChangedRecently:
        !!patient.contactChangedAt && Date.now() - patient.contactChangedAt.getTime() <= this.config.chartImport.contactChangeWarningDays * 86_400_000,
      sex: patient.sex,
      addressLine1: patient.addressLine1,
      addressLine2: patient.addressLine2,
      city: patient.city,
      state: patient.state,
      postalCode: patient.postalCode,
      portalAccount: account ? toAccountView(account) : null,
      invitation: invitationView,
      chartChecksum: chartChecksum(patient, entries),
      availableActions: availablePortalActions({ active: patient.active, email: patient.email, openAccountStatus: account?.status ?? null }),
      invitationTtlHours: this.config.invitationTtlHours,
    };
  }

  async chart(id: string): Promise<Record<string, unknown[]>> {
    const patient = await this.tenant.findOrFail(Patient, id, 'patient');
    const entries = await this.uow.dataSource.manager.find(ClinicalEntry, {
      where: { patientId: id, practiceId: patient.practiceId },
      order: { recordedOn: 'DESC', id: 'ASC' },
    });
    await this.uow.run((manager) => this.audit.append(manager, patient.practiceId, { action: 'patient.viewed', patientId: id, details: { view: 'chart' } }));
    const groups: Record<string, unknown[]> = { allergies: [], medications: [], problems: [], encounters: [] };
    const groupOf: Record<(typeof CLINICAL_ENTRY_KINDS)[number], string> = {
      allergy: 'allergies',
      medication: 'medications',
      problem: 'problems',
      encounter: 'encounters',
    };
    for (const entry of entries) {
      groups[groupOf[entry.kind]]!.push({
        id: entry.id,
        kind: entry.kind,
        code: entry.code,
        description: entry.description,
        status: entry.status,
        recordedOn: entry.recordedOn,
        notes: entry.notes,
      });
    }
    return groups;
  }

  async portalHistory(
    id: string,
  ): Promise<{ accounts: PortalAccountView[]; invitations: (InvitationView & { createdAt: string })[]; events: AuditEventView[] }> {
    const patient = await this.tenant.findOrFail(Patient, id, 'patient');
    const manager = this.uow.dataSource.manager;
    const where = { patientId: id, practiceId: patient.practiceId };
    const [accounts, invitations, events] = await Promise.all([
      manager.find(PortalAccount, { where, order: { createdAt: 'DESC' } }),
      manager.find(RegistrationInvitation, { where, order: { createdAt: 'DESC' } }),
      manager.find(AuditEvent, { where, order: { createdAt: 'DESC', seq: 'DESC' }, take: 200 }),
    ]);
    return {
      accounts: accounts.map(toAccountView),
      invitations: await Promise.all(invitations.map(async (i) => ({ ...(await this.invitationView(i)), createdAt: i.createdAt.toISOString() }))),
      events: events.map((event) => toAuditEventView(event)),
    };
  }

  private async invitationView(invitation: RegistrationInvitation): Promise<InvitationView> {
    const email = await this.uow.dataSource.manager.findOne(OutboxMessage, {
      where: { subjectType: 'registration_invitation', subjectId: invitation.id, channel: 'email' },
      order: { createdAt: 'DESC' },
    });
    return {
      id: invitation.id,
      sentTo: maskEmail(invitation.sentTo),
      expiresAt: invitation.expiresAt.toISOString(),
      status: effectiveInvitationStatus(invitation),
      emailStatus: email?.status ?? null,
    };
  }
}

export function effectiveInvitationStatus(invitation: RegistrationInvitation): InvitationView['status'] {
  return invitation.status === 'pending' && invitation.expiresAt.getTime() <= Date.now() ? 'expired' : invitation.status;
}

/** The list item's columns (read back by toListItem), for the query builder and the indexed search's single statement alike. */
const LIST_COLUMNS_SQL =
  'p.id AS p_id, p.mrn AS p_mrn, p.firstName AS p_firstName, p.lastName AS p_lastName, p.dateOfBirth AS p_dateOfBirth, p.email AS p_email, ' +
  'p.phone AS p_phone, p.active AS p_active, p.inactiveReason AS p_inactiveReason, p.contactChangedAt AS p_contactChangedAt, pa.status AS accountStatus, pa.username AS accountUsername, pa.lastLoginAt AS accountLastLoginAt, ri.id AS invitationId, ' +
  `${linkLockedColumnSql('p')} AS linkLocked`;

function selectListColumns<T extends import('typeorm').ObjectLiteral>(qb: import('typeorm').SelectQueryBuilder<T>) {
  return qb.select(LIST_COLUMNS_SQL);
}

function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

function toListItem(row: PatientRow): PatientListItem {
  return {
    id: row.p_id,
    mrn: row.p_mrn,
    firstName: row.p_firstName,
    lastName: row.p_lastName,
    dateOfBirth: normaliseDate(row.p_dateOfBirth),
    email: row.p_email,
    phone: row.p_phone,
    portalStatus: derivePortalStatus(row.accountStatus, !!row.invitationId, Number(row.linkLocked) === 1),
    portalUsername: row.accountUsername,
    lastLoginAt: row.accountLastLoginAt ? toIso(row.accountLastLoginAt) : null,
    active: row.p_active === true || Number(row.p_active) === 1,
    inactiveReason: row.p_inactiveReason ?? null,
    contactChangedAt: row.p_contactChangedAt ? toIso(row.p_contactChangedAt) : null,
  };
}

function normaliseDate(value: string | Date): string {
  return value instanceof Date ? value.toISOString().slice(0, 10) : String(value).slice(0, 10);
}

/** Raw rows give MySQL Dates and SQLite 'YYYY-MM-DD HH:MM:SS.SSS' strings (UTC). */
function toIso(value: Date | string): string {
  if (value instanceof Date) return value.toISOString();
  return new Date(value.includes('T') ? value : value.replace(' ', 'T') + 'Z').toISOString();
}

export function toAccountView(account: PortalAccount): PortalAccountView {
  return {
    id: account.id,
    username: account.username,
    status: account.status,
    lockReason: account.lockReason,
    lockedAt: iso(account.lockedAt),
    lockedUntil: account.status === 'locked' ? iso(account.lockedUntil) : null,
    lastLoginAt: iso(account.lastLoginAt),
    createdAt: account.createdAt.toISOString(),
  };
}
