import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Brackets, EntityManager } from 'typeorm';
import { STAFF_ROLES, type StaffMemberView, type StaffRole } from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { StaffAuthService } from '../auth/staff-auth.service';
import { StaffSessionsRepository } from '../auth/staff-sessions.repository';
import { StaffUsersRepository } from './staff-users.repository';
import { DomainException } from '../common/domain.exception';
import { LIKE_ESCAPE, ListQuery, escapeLike, filterIds, filterString } from '../common/list-query';
import { iso } from '../common/masking';
import { RequestContext } from '../common/request-context';
import { TenantScope } from '../common/tenant-scope';
import { UnitOfWork } from '../database/unit-of-work';
import { PasswordHasher } from '../passwords/password-hasher.service';
import { passwordProblems } from '../passwords/password-policy';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from './staff-user.entity';
import { CreateStaffDto, UpdateStaffDto } from './staff.dto';

export const STAFF_SORTABLE = ['name', 'email', 'role', 'active', 'lastLoginAt', 'createdAt'] as const;
export const STAFF_FILTERS = ['q', 'role', 'active', 'id'] as const;

export const DUPLICATE_EMAIL = 'A staff account with that email already exists.';

export function toStaffMemberView(user: StaffUser): StaffMemberView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    active: !!user.active,
    lastLoginAt: iso(user.lastLoginAt),
    createdAt: new Date(user.createdAt).toISOString(),
  };
}

function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** The policy checks a password against the person's own details; a staff name is one free-text field. */
function passwordProblemsFor(password: string, email: string, name: string): string[] {
  const words = name.split(/\s+/).filter(Boolean);
  return passwordProblems(password, { email, firstName: words[0] ?? null, lastName: words.length > 1 ? words[words.length - 1]! : null });
}

function weakPassword(problems: string[]): DomainException {
  return DomainException.validation({ password: `The password does not meet security requirements: ${problems.join('; ')}.` });
}

function isUniqueViolation(error: unknown): boolean {
  const candidate = error as { code?: string; driverError?: { code?: string } } | null;
  const code = candidate?.driverError?.code ?? candidate?.code;
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function parseActive(value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new DomainException('bad_request', 'The active filter must be true or false.');
}

/**
 * Staff accounts of the signed-in admin's practice. Staff are never deleted, only deactivated,
 * so their names stay meaningful in the audit log; every change is audited in its transaction.
 */
@Injectable()
export class StaffService {
  constructor(
    private readonly tenant: TenantScope,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLogService,
    private readonly hasher: PasswordHasher,
    private readonly staffAuth: StaffAuthService,
  ) {}

  async list(query: ListQuery): Promise<{ items: StaffMemberView[]; total: number }> {
    const qb = this.tenant.query(StaffUser, 's');
    const { filter } = query;

    const ids = filterIds(filter);
    if (ids) qb.andWhere(ids.length ? 's.id IN (:...ids)' : '1 = 0', { ids });

    const q = filterString(filter, 'q')?.trim();
    if (q) {
      const prefix = `${escapeLike(q)}%`;
      qb.andWhere(
        new Brackets((where) => {
          where.where(`s.name LIKE :prefix ${LIKE_ESCAPE}`, { prefix });
          // A surname is a prefix of a later word of the name.
          where.orWhere(`s.name LIKE :wordPrefix ${LIKE_ESCAPE}`, { wordPrefix: `% ${escapeLike(q)}%` });
          where.orWhere(`s.email LIKE :emailPrefix ${LIKE_ESCAPE}`, { emailPrefix: `${escapeLike(q.toLowerCase())}%` });
        }),
      );
    }

    const role = filterString(filter, 'role');
    if (role) {
      if (!(STAFF_ROLES as readonly string[]).includes(role)) {
        throw new DomainException('bad_request', `Unknown role "${role}". Use one of: ${STAFF_ROLES.join(', ')}.`);
      }
      qb.andWhere('s.role = :role', { role });
    }

    const active = parseActive(filter.active);
    if (active !== undefined) qb.andWhere('s.active = :active', { active });

    const total = await qb.getCount();
    const sort = query.sort ?? { field: 'name', order: 'ASC' as const };
    qb.orderBy(`s.${sort.field}`, sort.order);
    if (sort.field !== 'name') qb.addOrderBy('s.name', 'ASC');
    qb.addOrderBy('s.id', 'ASC');
    const rows = await qb.offset(query.offset).limit(query.limit).getMany();
    return { items: rows.map(toStaffMemberView), total };
  }

  async get(id: string): Promise<StaffMemberView> {
    return toStaffMemberView(await this.tenant.findOrFail(StaffUser, id, 'staff member'));
  }

  /** Lifts the sign-in lock of a staff member of the admin's practice; 409 when there is none. */
  async unlock(id: string): Promise<StaffMemberView> {
    return this.uow.run(async (manager) => {
      const user = await this.tenant.findOrFail(StaffUser, id, 'staff member', { manager, lock: true });
      if (!(await this.staffAuth.unlockAccount(manager, user.email))) {
        throw new DomainException('conflict', 'This staff member is not locked out of sign-in.');
      }
      await this.audit.append(manager, user.practiceId, { action: 'staff.unlocked', details: { staffUserId: user.id } });
      return toStaffMemberView(user);
    });
  }

  async create(dto: CreateStaffDto): Promise<StaffMemberView> {
    const practiceId = this.tenant.practiceId;
    const email = normaliseEmail(dto.email);
    const problems = passwordProblemsFor(dto.password, email, dto.name);
    if (problems.length) throw weakPassword(problems);

    // Emails are unique across practices (sign-in needs only the address). The answer is the
    // same whichever practice holds it, and says nothing else about that account.
    const taken = await this.uow.dataSource.manager.exists(StaffUser, { where: { email } });
    if (taken) throw new DomainException('conflict', DUPLICATE_EMAIL);

    // Hashing takes ~100 ms: done before the transaction so no lock waits on it.
    const passwordHash = await this.hasher.hash(dto.password);
    const now = new Date();
    const user: StaffUser = {
      id: randomUUID(),
      practiceId,
      email,
      name: dto.name,
      role: dto.role,
      passwordHash,
      active: true,
      lastLoginAt: null,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.uow.run(async (manager) => {
        await StaffUsersRepository.on(manager).insert(user);
        await this.audit.append(manager, practiceId, { action: 'staff.created', details: { staffUserId: user.id, email, role: user.role } });
      });
    } catch (error) {
      // Two admins adding the same address at once: the unique index decides.
      if (isUniqueViolation(error)) throw new DomainException('conflict', DUPLICATE_EMAIL);
      throw error;
    }
    return toStaffMemberView(user);
  }

  async update(id: string, dto: UpdateStaffDto): Promise<StaffMemberView> {
    const actor = RequestContext.staff();
    const current = await this.tenant.findOrFail(StaffUser, id, 'staff member');

    if (dto.email !== undefined && dto.email !== null && (typeof dto.email !== 'string' || normaliseEmail(dto.email) !== current.email)) {
      throw DomainException.validation({ email: 'The email address cannot be changed. Add a new staff member and deactivate this one instead.' });
    }
    if (current.id === actor.id) {
      if (dto.active === false) {
        throw DomainException.validation({ active: 'You cannot deactivate your own account. Ask another practice admin to do it.' });
      }
      if (dto.role !== undefined && dto.role !== 'practice_admin') {
        throw DomainException.validation({ role: 'You cannot remove your own practice admin role. Ask another practice admin to do it.' });
      }
    }
    let passwordHash: string | undefined;
    if (dto.password !== undefined) {
      const problems = passwordProblemsFor(dto.password, current.email, dto.name ?? current.name);
      if (problems.length) throw weakPassword(problems);
      passwordHash = await this.hasher.hash(dto.password);
    }

    const updated = await this.uow.run(async (manager) => {
      await this.lockPracticeStaff(manager, current.practiceId);
      const user = await this.tenant.findOrFail(StaffUser, id, 'staff member', { manager, lock: true });

      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const patch: Partial<StaffUser> = {};
      if (dto.name !== undefined && dto.name !== user.name) {
        changes.name = { from: user.name, to: dto.name };
        patch.name = dto.name;
      }
      if (dto.role !== undefined && dto.role !== user.role) {
        changes.role = { from: user.role, to: dto.role };
        patch.role = dto.role;
      }
      if (dto.active !== undefined && dto.active !== !!user.active) {
        changes.active = { from: !!user.active, to: dto.active };
        patch.active = dto.active;
      }
      if (passwordHash) {
        // That it changed is worth recording; what it is, never.
        changes.password = { from: '[hidden]', to: '[changed]' };
        patch.passwordHash = passwordHash;
      }
      if (Object.keys(changes).length === 0) return user;

      const wasAdmin = user.role === 'practice_admin' && !!user.active;
      const staysAdmin = (patch.role ?? user.role) === 'practice_admin' && (patch.active ?? !!user.active);
      if (wasAdmin && !staysAdmin) await this.assertAnotherActiveAdmin(manager, user, patch.active === false ? 'active' : 'role');

      const now = new Date();
      await StaffUsersRepository.on(manager).update(user.id, { ...patch, updatedAt: now });
      if (patch.active === false || patch.passwordHash) {
        // Deactivation and a new password both end the sessions already open with the old
        // state; an admin changing their own password keeps the session they are using.
        await StaffSessionsRepository.on(manager).endAllOfUser(user.id, now, user.id === actor.id ? actor.sessionId : undefined);
      }
      await this.audit.append(manager, user.practiceId, { action: 'staff.updated', details: { staffUserId: user.id, changes } });
      return { ...user, ...patch, updatedAt: now };
    });
    return toStaffMemberView(updated);
  }

  /**
   * Staff changes of one practice run one at a time (the practice row is the lock), so two
   * admins demoting each other at the same moment cannot leave the practice without an admin.
   */
  private async lockPracticeStaff(manager: EntityManager, practiceId: string): Promise<void> {
    await this.uow.forUpdate(manager.createQueryBuilder(Practice, 'p').select('p.id').where('p.id = :practiceId', { practiceId })).getOne();
  }

  private async assertAnotherActiveAdmin(manager: EntityManager, user: StaffUser, field: 'active' | 'role'): Promise<void> {
    const others = await manager
      .createQueryBuilder(StaffUser, 's')
      .where('s.practiceId = :practiceId AND s.role = :role AND s.active = :active AND s.id <> :id', {
        practiceId: user.practiceId,
        role: 'practice_admin' satisfies StaffRole,
        active: true,
        id: user.id,
      })
      .getCount();
    if (others === 0) {
      throw DomainException.validation({ [field]: 'The practice needs at least one active practice admin. Make someone else an admin first.' });
    }
  }
}
