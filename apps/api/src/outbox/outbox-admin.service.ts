import { Injectable } from '@nestjs/common';
import { MESSAGE_CHANNELS, OUTBOX_STATUSES, type MessagePreview, type OutboxMessageView } from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { DomainException } from '../common/domain.exception';
import { LIKE_ESCAPE, ListQuery, escapeLike, filterIds, filterString } from '../common/list-query';
import { TenantScope } from '../common/tenant-scope';
import { UnitOfWork } from '../database/unit-of-work';
import { PermanentDeliveryError } from '../mail/delivery-error';
import { MessageDefinitions } from './message-definitions';
import { MessageRenderer } from './message-renderer';
import { OutboxMessage } from './outbox-message.entity';
import { OutboxMessagesRepository } from './outbox-messages.repository';
import { toOutboxMessageView } from './outbox-message.view';
import { OutboxService } from './outbox.service';

export const OUTBOX_SORTABLE = ['id', 'createdAt', 'status', 'channel', 'template', 'to', 'subject', 'attempts', 'nextAttemptAt', 'sentAt'] as const;
export const OUTBOX_FILTERS = ['status', 'channel', 'template', 'patientId', 'q', 'id'] as const;

/** Extra attempts a manual retry grants a message that had used all of its own. */
export const RETRY_EXTRA_ATTEMPTS = 3;

const SORT_COLUMNS: Record<(typeof OUTBOX_SORTABLE)[number], string> = {
  id: 'm.id',
  createdAt: 'm.createdAt',
  status: 'm.status',
  channel: 'm.channel',
  template: 'm.template',
  to: 'm.toAddress',
  subject: 'm.subject',
  attempts: 'm.attempts',
  nextAttemptAt: 'm.nextAttemptAt',
  sentAt: 'm.sentAt',
};

/** The practice's outbox for its admins: what was sent, what failed and why, and a second chance. */
@Injectable()
export class OutboxAdminService {
  constructor(
    private readonly tenant: TenantScope,
    private readonly uow: UnitOfWork,
    private readonly audit: AuditLogService,
    private readonly outbox: OutboxService,
    private readonly renderer: MessageRenderer,
    private readonly definitions: MessageDefinitions,
  ) {}

  async list(query: ListQuery): Promise<{ items: OutboxMessageView[]; total: number }> {
    const qb = this.tenant.query(OutboxMessage, 'm');
    const { filter } = query;

    const ids = filterIds(filter);
    if (ids) qb.andWhere(ids.length ? 'm.id IN (:...ids)' : '1 = 0', { ids });

    const status = filterString(filter, 'status');
    if (status) {
      if (!(OUTBOX_STATUSES as readonly string[]).includes(status)) {
        throw new DomainException('bad_request', `Unknown status "${status}". Use one of: ${OUTBOX_STATUSES.join(', ')}.`);
      }
      qb.andWhere('m.status = :status', { status });
    }
    const channel = filterString(filter, 'channel');
    if (channel) {
      if (!(MESSAGE_CHANNELS as readonly string[]).includes(channel)) {
        throw new DomainException('bad_request', `Unknown channel "${channel}". Use one of: ${MESSAGE_CHANNELS.join(', ')}.`);
      }
      qb.andWhere('m.channel = :channel', { channel });
    }
    const template = filterString(filter, 'template');
    if (template) {
      const templates = this.definitions.templateNames();
      if (!templates.includes(template)) {
        throw new DomainException('bad_request', `Unknown template "${template}". Use one of: ${templates.join(', ')}.`);
      }
      qb.andWhere('m.template = :template', { template });
    }
    const patientId = filterString(filter, 'patientId');
    if (patientId) qb.andWhere('m.patientId = :patientId', { patientId });
    const q = filterString(filter, 'q')?.trim();
    if (q) qb.andWhere(`m.toAddress LIKE :prefix ${LIKE_ESCAPE}`, { prefix: `${escapeLike(q)}%` });

    const total = await qb.getCount();
    const sort = query.sort ?? { field: 'createdAt', order: 'DESC' as const };
    qb.orderBy(SORT_COLUMNS[sort.field as keyof typeof SORT_COLUMNS], sort.order);
    if (sort.field !== 'id') qb.addOrderBy('m.id', 'ASC');
    const rows = await qb.offset(query.offset).limit(query.limit).getMany();
    return { items: rows.map(toOutboxMessageView), total };
  }

  async detail(id: string): Promise<OutboxMessageView> {
    return toOutboxMessageView(await this.tenant.findOrFail(OutboxMessage, id, 'message'));
  }

  /** Rendered from today's rows with placeholders for the secret: an admin never sees a usable link or code. */
  async preview(id: string): Promise<MessagePreview> {
    const message = await this.tenant.findOrFail(OutboxMessage, id, 'message');
    try {
      return await this.renderer.renderPreview(message);
    } catch (error) {
      if (error instanceof PermanentDeliveryError) {
        throw new DomainException('conflict', `This message cannot be previewed: ${error.message.replace(/; not sent$/, '')}.`);
      }
      throw error;
    }
  }

  /** Puts a failed message back in the queue, due now; attempts are kept so the history stays true. */
  async retry(id: string): Promise<OutboxMessageView> {
    const view = await this.uow.run(async (manager) => {
      const message = await this.tenant.findOrFail(OutboxMessage, id, 'message', { manager, lock: true });
      if (message.status !== 'dead' && message.status !== 'retrying') {
        throw new DomainException('conflict', notRetryable(message));
      }
      if (this.definitions.carriesSecret(message) && !message.sealedSecret) {
        throw new DomainException(
          'conflict',
          'This message cannot be sent again: its one-time link or code was erased when it failed for good. Send a new one from the patient instead.',
        );
      }
      const now = new Date();
      const changes = {
        status: 'retrying' as const,
        nextAttemptAt: now,
        claimedUntil: null,
        maxAttempts: message.attempts >= message.maxAttempts ? message.attempts + RETRY_EXTRA_ATTEMPTS : message.maxAttempts,
        updatedAt: now,
      };
      await OutboxMessagesRepository.on(manager).update(message.id, changes);
      await this.audit.append(manager, message.practiceId, { action: 'email.retried', patientId: message.patientId, details: { outboxMessageId: message.id } });
      return toOutboxMessageView({ ...message, ...changes });
    });
    this.outbox.notifyCommitted();
    return view;
  }
}

function notRetryable(message: OutboxMessage): string {
  switch (message.status) {
    case 'sent':
      return 'This message was already sent, so it cannot be retried. Its one-time link was erased after sending; send a new one from the patient instead.';
    case 'cancelled':
      return 'This message was replaced by a newer one, so it cannot be retried.';
    case 'sending':
      return 'This message is being sent right now; there is nothing to retry.';
    default:
      return 'This message is already waiting to be sent; there is nothing to retry.';
  }
}
