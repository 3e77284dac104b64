import { AuditEvent } from './audit-event.entity';

import type { AuditPatient } from './audit-event.view';

type Details = Record<string, unknown>;

/**
 * The export's columns, in order. The `portal.reset` specifics get their own columns because
 * they are what a compliance reviewer filters on; `details` keeps everything, as stored.
 */
const COLUMNS: readonly [string, (event: AuditEvent, details: Details, patient: AuditPatient | undefined) => unknown][] = [
  ['id', (e) => e.id],
  ['createdAt', (e) => new Date(e.createdAt).toISOString()],
  ['action', (e) => e.action],
  ['actorType', (e) => e.actorType],
  ['actorId', (e) => e.actorId],
  ['actorName', (e) => e.actorName],
  ['patientId', (e) => e.patientId],
  ['patientName', (_e, _d, p) => p?.name],
  ['patientMrn', (_e, _d, p) => p?.mrn],
  ['reason', (e) => e.reason],
  ['identityVerification', (_e, d) => d.identityVerification],
  ['note', (_e, d) => d.note],
  ['previousStatus', (_e, d) => d.previousStatus],
  ['retiredUsername', (_e, d) => d.retiredUsername],
  ['invitationId', (_e, d) => d.invitationId],
  ['sentTo', (_e, d) => d.sentTo],
  ['chartChecksumBefore', (_e, d) => d.chartChecksumBefore],
  ['chartChecksumAfter', (_e, d) => d.chartChecksumAfter],
  ['ip', (e) => e.ip],
  ['userAgent', (e) => e.userAgent],
  ['details', (e) => e.details],
  ['hash', (e) => e.hash],
  ['prevHash', (e) => e.prevHash],
];

export const AUDIT_CSV_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

/**
 * Spreadsheets run a cell that starts with one of these as a formula, so a user agent or a
 * staff name like `=HYPERLINK(...)` would execute on the reviewer's machine (OWASP "CSV
 * injection"). Full-width forms are included because some spreadsheets fold them.
 */
const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

export function auditCsvHeader(): string {
  return csvLine(AUDIT_CSV_COLUMNS);
}

export function auditCsvRow(event: AuditEvent, patient?: AuditPatient): string {
  let details: Details = {};
  try {
    const parsed: unknown = JSON.parse(event.details);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) details = parsed as Details;
  } catch {
    // The raw text still goes out in the details column; only the split-out columns stay empty.
  }
  return csvLine(COLUMNS.map(([, read]) => read(event, details, patient)));
}
