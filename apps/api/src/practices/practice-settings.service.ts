import { Injectable } from '@nestjs/common';
import type { PracticeSettingsView } from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { RequestContext } from '../common/request-context';
import { UnitOfWork } from '../database/unit-of-work';
import { UpdatePracticeSettingsDto } from './practice-settings.dto';
import { Practice } from './practice.entity';

/** The signed-in staff user's own practice: nobody reads or changes another practice's settings. */
@Injectable()
export class PracticeSettingsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLogService,
  ) {}

  async get(): Promise<PracticeSettingsView> {
    const practice = await this.uow.dataSource.manager.findOneBy(Practice, { id: RequestContext.practiceId() });
    if (!practice) throw DomainException.notFound('practice');
    return toView(practice);
  }

  async update(dto: UpdatePracticeSettingsDto): Promise<PracticeSettingsView> {
    const practiceId = RequestContext.practiceId();
    return this.uow.run(async (manager) => {
      const practice = await this.uow.forUpdate(manager.createQueryBuilder(Practice, 'practice').where('practice.id = :practiceId', { practiceId })).getOne();
      if (!practice) throw DomainException.notFound('practice');
      const changes: Record<string, { from: unknown; to: unknown }> = {};
      const patch: Partial<Practice> = {};
      if (dto.allowSecurityQuestions !== undefined && Boolean(practice.allowSecurityQuestions) !== dto.allowSecurityQuestions) {
        changes.allowSecurityQuestions = { from: Boolean(practice.allowSecurityQuestions), to: dto.allowSecurityQuestions };
        patch.allowSecurityQuestions = dto.allowSecurityQuestions;
      }
      if (dto.staffMfa !== undefined && practice.staffMfa !== dto.staffMfa) {
        changes.staffMfa = { from: practice.staffMfa, to: dto.staffMfa };
        patch.staffMfa = dto.staffMfa;
      }
      if (dto.phone !== undefined && practice.phone !== dto.phone) {
        changes.phone = { from: practice.phone, to: dto.phone };
        patch.phone = dto.phone;
      }
      if (Object.keys(changes).length) {
        await manager.update(Practice, { id: practiceId }, patch);
        await this.audit.append(manager, practiceId, { action: 'practice.settings_updated', details: { changes } });
      }
      return toView({ ...practice, ...patch });
    });
  }
}

function toView(practice: Practice): PracticeSettingsView {
  return {
    id: practice.id,
    name: practice.name,
    phone: practice.phone,
    timeZone: practice.timeZone,
    // MySQL's tinyint(1) may arrive as 0/1 through raw paths; the API always answers a boolean.
    allowSecurityQuestions: Boolean(practice.allowSecurityQuestions),
    staffMfa: practice.staffMfa,
  };
}
