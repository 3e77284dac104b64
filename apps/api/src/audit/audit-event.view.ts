import type { AuditEventView } from '@resetdesk/contracts';
import { AuditEvent } from './audit-event.entity';

export function toAuditEventView(event: AuditEvent): AuditEventView {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(event.details) as Record<string, unknown>;
  } catch {
    details = { unreadable: event.details };
  }
  return {
    id: event.id,
    practiceId: event.practiceId,
    action: event.action,
    actorType: event.actorType,
    actorId: event.actorId,
    actorName: event.actorName,
    patientId: event.patientId,
    reason: event.reason,
    details,
    ip: event.ip,
    userAgent: event.userAgent,
    createdAt: new Date(event.createdAt).toISOString(),
    hash: event.hash,
    prevHash: event.prevHash,
  };
}
