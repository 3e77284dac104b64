import { Injectable } from '@nestjs/common';
import {
  AUDIT_ACTIONS,
  type AuditAction,
  type AuditChainVerification,
  type AuditCheckpoint,
  type AuditCheckpointVerification,
  type AuditEventView,
} from '@resetdesk/contracts';
import { SelectQueryBuilder } from 'typeorm';
import { DomainException } from '../common/domain.exception';
import { ListQuery, filterIds, filterString } from '../common/list-query';
import { TenantScope } from '../common/tenant-scope';
import { UnitOfWork } from '../database/unit-of-work';
import { Patient } from '../patients/patient.entity';
import { AuditChainHead, AuditEvent } from './audit-event.entity';
import { AuditPatient, toAuditEventView } from './audit-event.view';
import { AuditCheckpointDto } from './audit-checkpoint.dto';
import { AuditChainKeys } from './audit-chain-keys';
import { AuditLogService } from './audit-log.service';
import { calendarDateIn, practiceTimeZone, startOfDayIn, zonedTimeToInstant } from './practice-time';

// `id` is react-admin's default sort: events are listed in append order for it, as for createdAt.
export const AUDIT_EVENT_SORTABLE = ['createdAt', 'seq', 'action', 'id'] as const;
export const AUDIT_EVENT_FILTERS = ['action', 'actorId', 'patientId', 'patient', 'from', 'to', 'id'] as const;
/** A name or MRN search matching more charts than this is too broad to filter the log by. */
const PATIENT_FILTER_LIMIT = 500;
export const EXPORT_BATCH_SIZE = 1000;

/** A list filter turned into instants and values, ready for SQL. */
export interface AuditCriteria {
  actions?: AuditAction[];
  actorId?: string;
  patientId?: string;
  /** Events of any of these patients (a name or MRN search, resolved to ids). */
  patientIds?: string[];
  ids?: string[];
  /** createdAt ≥ from */
  from?: Date;
  /** createdAt < before (a plain `to` date: the whole day is included) */
  before?: Date;
  /** createdAt ≤ until (a `to` date-time: that instant is included) */
  until?: Date;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

type ParsedMoment = { kind: 'date'; date: string } | { kind: 'instant'; at: Date };

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** `YYYY-MM-DD`, or an ISO date-time; one without a zone is read on the practice's wall clock. */
function parseMoment(raw: string, name: 'from' | 'to', timeZone: string): ParsedMoment {
  const invalid = () => new DomainException('bad_request', `The ${name} filter must be a date (YYYY-MM-DD) or an ISO date-time such as 2026-11-24T09:30:00Z.`);
  const value = raw.trim();
  const dateOnly = DATE_ONLY.exec(value);
  if (dateOnly) {
    const [, y, m, d] = dateOnly.map(Number) as [number, number, number, number];
    if (!isCalendarDate(y, m, d)) throw invalid();
    return { kind: 'date', date: value };
  }
  const dateTime = DATE_TIME.exec(value);
  if (!dateTime) throw invalid();
  const [, y, mo, d, h, mi, s, ms, zone] = dateTime;
  const local = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s ?? 0),
    millisecond: Number((ms ?? '0').padEnd(3, '0')),
  };
  if (!isCalendarDate(local.year, local.month, local.day) || local.hour > 23 || local.minute > 59 || local.second > 59) throw invalid();
  if (!zone) return { kind: 'instant', at: zonedTimeToInstant(local, timeZone) };
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second, local.millisecond);
  if (zone.toUpperCase() === 'Z') return { kind: 'instant', at: new Date(asUtc) };
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  return { kind: 'instant', at: new Date(asUtc - offsetMinutes * 60_000) };
}

/**
 * Lists, verifies and exports the signed-in admin's practice audit log. Reads only: the log is
 * written by AuditLogService alone and never changed afterwards.
 */
@Injectable()
export class AuditEventsService {
  constructor(
    private readonly tenant: TenantScope,
    private readonly uow: UnitOfWork,
    private readonly auditLog: AuditLogService,
    private readonly keys: AuditChainKeys,
  ) {}

  /** Validates the `filter` of a list or export; malformed values answer 400 naming the filter. */
  async criteria(filter: Record<string, unknown>): Promise<AuditCriteria> {
    const criteria: AuditCriteria = {};

    const action = filter.action;
    if (action !== undefined && action !== null && action !== '') {
      const actions = Array.isArray(action) ? action : [action];
      const unknown = actions.filter((a) => typeof a !== 'string' || !(AUDIT_ACTIONS as readonly string[]).includes(a));
      if (unknown.length) {
        throw new DomainException('bad_request', `Unknown action ${unknown.map((a) => JSON.stringify(a)).join(', ')}. Actions: ${AUDIT_ACTIONS.join(', ')}.`);
      }
      // An empty list is an empty multi-select in the console: any action.
      if (actions.length) criteria.actions = actions as AuditAction[];
    }
    criteria.actorId = filterString(filter, 'actorId');
    criteria.patientId = filterString(filter, 'patientId');
    const patient = filterString(filter, 'patient');
    if (patient) criteria.patientIds = await this.patientIdsMatching(patient);
    criteria.ids = filterIds(filter);

    const fromRaw = filterString(filter, 'from');
    const toRaw = filterString(filter, 'to');
    if (fromRaw || toRaw) {
      const timeZone = await practiceTimeZone(this.uow.dataSource.manager, this.tenant.practiceId);
      if (fromRaw) {
        const from = parseMoment(fromRaw, 'from', timeZone);
        criteria.from = from.kind === 'date' ? startOfDayIn(from.date, timeZone) : from.at;
      }
      if (toRaw) {
        const to = parseMoment(toRaw, 'to', timeZone);
        if (to.kind === 'date') criteria.before = startOfDayIn(to.date, timeZone, 1);
        else criteria.until = to.at;
      }
    }
    return criteria;
  }

  async list(query: ListQuery): Promise<{ items: AuditEventView[]; total: number }> {
    const criteria = await this.criteria(query.filter);
    const qb = applyCriteria(this.tenant.query(AuditEvent, 'e'), criteria);
    const total = await qb.getCount();

    const sort = query.sort ?? { field: 'createdAt', order: 'DESC' as const };
    if (sort.field === 'action') {
      qb.orderBy('e.action', sort.order).addOrderBy('e.seq', 'DESC');
    } else {
      // seq is the order events were appended, and createdAt is stamped while the chain head is
      // locked, so both give the same order; seq is unique and served by the (practiceId, seq)
      // index, which keeps "newest first" cheap on a practice with millions of events.
      qb.orderBy('e.seq', sort.order);
    }
    const rows = await qb.offset(query.offset).limit(query.limit).getMany();
    const patients = await this.patientsOf(rows);
    return { items: rows.map((row) => toAuditEventView(row, patients.get(row.patientId ?? ''))), total };
  }

  async get(id: string): Promise<AuditEventView> {
    const event = await this.tenant.findOrFail(AuditEvent, id, 'audit event');
    const patients = await this.patientsOf([event]);
    return toAuditEventView(event, patients.get(event.patientId ?? ''));
  }

  /** Name and MRN of the patients these events are about (the log stores only the id). */
  async patientsOf(events: readonly AuditEvent[]): Promise<Map<string, AuditPatient>> {
    const ids = Array.from(new Set(events.map((e) => e.patientId).filter((id): id is string => !!id)));
    const found = new Map<string, AuditPatient>();
    if (!ids.length) return found;
    const rows = await this.tenant.query(Patient, 'p').select(['p.id', 'p.firstName', 'p.lastName', 'p.mrn']).andWhere('p.id IN (:...ids)', { ids }).getMany();
    for (const row of rows) found.set(row.id, { name: `${row.firstName} ${row.lastName}`, mrn: row.mrn });
    return found;
  }

  /**
   * The patients a staff member means by "Smith", "Ana Smith" or an MRN: the MRN exactly, or
   * every word a prefix of the first or last name.
   */
  private async patientIdsMatching(term: string): Promise<string[]> {
    const words = term.trim().split(/\s+/).filter(Boolean).slice(0, 4);
    if (!words.length) return [];
    const qb = this.tenant.query(Patient, 'p').select('p.id');
    const byName = words.map((_w, i) => `(p.firstName LIKE :w${i} OR p.lastName LIKE :w${i})`).join(' AND ');
    const params: Record<string, string> = { mrn: term.trim() };
    words.forEach((word, i) => (params[`w${i}`] = `${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
    qb.andWhere(`(p.mrn = :mrn OR (${byName}))`, params);
    const rows = await qb.limit(PATIENT_FILTER_LIMIT + 1).getMany();
    if (rows.length > PATIENT_FILTER_LIMIT) {
      throw new DomainException('bad_request', `More than ${PATIENT_FILTER_LIMIT} patients match "${term.trim()}". Type more of the name, or the MRN.`);
    }
    return rows.map((row) => row.id);
  }

  verify(): Promise<AuditChainVerification> {
    return this.auditLog.verify(this.tenant.practiceId);
  }

  /**
   * A signed statement of the chain head, only once the chain up to it verifies: a checkpoint
   * must never vouch for a chain someone has already rewritten.
   */
  async checkpoint(): Promise<AuditCheckpoint> {
    const practiceId = this.tenant.practiceId;
    const head = await this.uow.dataSource.getRepository(AuditChainHead).findOneBy({ practiceId });
    const seq = head?.lastSeq ?? 0;
    const hash = head?.lastHash ?? null;
    const chain = await this.auditLog.verify(practiceId, seq);
    const last = seq > 0 ? await this.uow.dataSource.getRepository(AuditEvent).findOneBy({ practiceId, seq }) : null;
    if (!chain.valid || (seq > 0 && last?.hash !== hash)) {
      throw new DomainException(
        'conflict',
        `The audit chain does not verify${chain.firstBrokenId ? ` (first broken event ${chain.firstBrokenId})` : ''}, so no checkpoint is signed. Run Verify integrity.`,
      );
    }
    const claims = { practiceId, seq, hash, signedAt: new Date().toISOString() };
    return { ...claims, signature: await this.keys.sign(claims) };
  }

  /**
   * Whether a checkpoint is one this server signed, unaltered, and whether today's chain still
   * passes through it: the event at its seq has its hash and the whole chain verifies.
   */
  async verifyCheckpoint(checkpoint: AuditCheckpointDto): Promise<AuditCheckpointVerification> {
    const practiceId = this.tenant.practiceId;
    // Another practice's checkpoint is answered like an unknown one.
    if (checkpoint.practiceId !== practiceId) throw DomainException.notFound('checkpoint');
    const claims = await this.keys.verified(checkpoint.signature);
    const signatureValid =
      claims !== null &&
      claims.practiceId === checkpoint.practiceId &&
      claims.seq === checkpoint.seq &&
      (claims.hash ?? null) === (checkpoint.hash ?? null) &&
      claims.signedAt === checkpoint.signedAt;
    const event = checkpoint.seq > 0 ? await this.uow.dataSource.getRepository(AuditEvent).findOneBy({ practiceId, seq: checkpoint.seq }) : null;
    const extendsCheckpoint = checkpoint.seq === 0 ? (checkpoint.hash ?? null) === null : event?.hash === checkpoint.hash;
    const chain = await this.auditLog.verify(practiceId);
    return {
      valid: signatureValid && extendsCheckpoint && chain.valid,
      signatureValid,
      extendsCheckpoint,
      checked: chain.checked,
      firstBrokenId: chain.firstBrokenId,
    };
  }

  publicKey() {
    return this.keys.publicJwk();
  }

  /** Today's date in the practice's time zone, for the export's file name. */
  /** Who took a copy of the log, and of which events: an export is an access to PHI like any other. */
  async recordExport(filter: Record<string, unknown>): Promise<void> {
    await this.uow.run((manager) => this.auditLog.append(manager, this.tenant.practiceId, { action: 'audit.exported', details: { filter } }));
  }

  async practiceToday(): Promise<string> {
    return calendarDateIn(new Date(), await practiceTimeZone(this.uow.dataSource.manager, this.tenant.practiceId));
  }

  /**
   * The matching events oldest first, EXPORT_BATCH_SIZE at a time. Paging is by seq (keyset),
   * not OFFSET, so late pages cost the same as early ones; the upper bound is fixed when the
   * export starts, so events appended meanwhile do not stretch it indefinitely.
   */
  async *exportBatches(criteria: AuditCriteria): AsyncGenerator<AuditEvent[]> {
    const practiceId = this.tenant.practiceId;
    const manager = this.uow.dataSource.manager;
    const top = await manager
      .createQueryBuilder(AuditEvent, 'e')
      .select('MAX(e.seq)', 'maxSeq')
      .where('e.practiceId = :practiceId', { practiceId })
      .getRawOne<{ maxSeq: number | string | null }>();
    const lastSeq = Number(top?.maxSeq ?? 0);
    let afterSeq = 0;
    while (afterSeq < lastSeq) {
      const batch = await applyCriteria(manager.createQueryBuilder(AuditEvent, 'e').where('e.practiceId = :practiceId', { practiceId }), criteria)
        .andWhere('e.seq > :afterSeq AND e.seq <= :lastSeq', { afterSeq, lastSeq })
        .orderBy('e.seq', 'ASC')
        .limit(EXPORT_BATCH_SIZE)
        .getMany();
      if (batch.length === 0) return;
      yield batch;
      if (batch.length < EXPORT_BATCH_SIZE) return;
      afterSeq = batch[batch.length - 1]!.seq;
    }
  }
}

function applyCriteria(qb: SelectQueryBuilder<AuditEvent>, criteria: AuditCriteria): SelectQueryBuilder<AuditEvent> {
  if (criteria.actions) qb.andWhere('e.action IN (:...actions)', { actions: criteria.actions });
  if (criteria.actorId) qb.andWhere('e.actorId = :actorId', { actorId: criteria.actorId });
  if (criteria.patientId) qb.andWhere('e.patientId = :patientId', { patientId: criteria.patientId });
  if (criteria.patientIds) {
    qb.andWhere(criteria.patientIds.length ? 'e.patientId IN (:...patientIds)' : '1 = 0', { patientIds: criteria.patientIds });
  }
  if (criteria.ids) qb.andWhere(criteria.ids.length ? 'e.id IN (:...ids)' : '1 = 0', { ids: criteria.ids });
  if (criteria.from) qb.andWhere('e.createdAt >= :from', { from: criteria.from });
  if (criteria.before) qb.andWhere('e.createdAt < :before', { before: criteria.before });
  if (criteria.until) qb.andWhere('e.createdAt <= :until', { until: criteria.until });
  return qb;
}
