import type { AuditEventView } from '@resetdesk/contracts';
import { AuditEvent } from './audit-event.entity';

/** Who an event is about, as staff know them (the event itself stores only the id). */
export interface AuditPatient {
  name: string;
  mrn: string;
}

export function toAuditEventView(event: AuditEvent, patient?: AuditPatient): AuditEventView {
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
    patientName: patient?.name ?? null,
    patientMrn: patient?.mrn ?? null,
    reason: event.reason,
    details,
    ip: event.ip,
    userAgent: event.userAgent,
    createdAt: new Date(event.createdAt).toISOString(),
    hash: event.hash,
    prevHash: event.prevHash,
  };
}
