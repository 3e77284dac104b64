import simpleRestProvider from 'ra-data-simple-rest';
import type { DataProvider, Identifier } from 'react-admin';
import type { IssuedInvitation, PortalResetResult, PracticeSettingsView, StaffMfaSetting } from '@resetdesk/contracts';

import { API_URL, errorFromResponse, httpClient, newUuid, toApiError, withCsrf } from './http';
import type {
  AuditCheckpoint,
  AuditVerifyResult,
  CsvDownload,
  DashboardCounts,
  DevMailboxMessage,
  EmailPreview,
  PatientChart,
  PatientRecord,
  PortalHistory,
  ResetPortalAccountInput,
} from './types';

/** The standard react-admin methods plus ResetDesk's custom actions. */
export interface ResetDeskDataProvider extends DataProvider {
  resetPortalAccount(patientId: Identifier, input: ResetPortalAccountInput, options?: { idempotencyKey?: string }): Promise<PortalResetResult>;
  resendInvitation(patientId: Identifier, options?: { idempotencyKey?: string }): Promise<IssuedInvitation>;
  unlockPortalAccount(patientId: Identifier): Promise<PatientRecord>;
  endPortalSessions(patientId: Identifier): Promise<PatientRecord>;
  retryEmail(id: Identifier): Promise<unknown>;
  verifyAuditChain(): Promise<AuditVerifyResult>;
  getAuditCheckpoint(): Promise<AuditCheckpoint>;
  exportAuditEvents(filter: Record<string, unknown>): Promise<CsvDownload>;
  getPortalHistory(patientId: Identifier): Promise<PortalHistory>;
  getChart(patientId: Identifier): Promise<PatientChart>;
  getDashboard(): Promise<DashboardCounts>;
  getEmailPreview(id: Identifier): Promise<EmailPreview>;
  getDevMailbox(): Promise<DevMailboxMessage[]>;
  getPracticeSettings(): Promise<PracticeSettingsView>;
  updatePracticeSettings(changes: { allowSecurityQuestions?: boolean; staffMfa?: StaffMfaSetting; phone?: string }): Promise<PracticeSettingsView>;
}

const path = (...parts: Identifier[]) => `${API_URL}/${parts.map((part) => encodeURIComponent(String(part))).join('/')}`;

async function getJson<T>(url: string): Promise<T> {
  const { json } = await httpClient(url);
  return json as T;
}

async function postJson<T>(url: string, body?: unknown, headers?: Record<string, string>, method: 'POST' | 'PUT' = 'POST'): Promise<T> {
  const { json } = await httpClient(url, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: new Headers(headers ?? {}),
  });
  return json as T;
}

function filenameFrom(disposition: string | null, fallback: string): string {
  const match = disposition && /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  if (!match) return fallback;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

const base = simpleRestProvider(API_URL, httpClient);

export const dataProvider: ResetDeskDataProvider = {
  ...base,

  resetPortalAccount: (patientId, { reason, identityVerification, note }, options) =>
    postJson<PortalResetResult>(
      `${path('patients', patientId)}/portal-reset`,
      {
        reason,
        identityVerification,
        ...(note && note.trim() ? { note: note.trim() } : {}),
      },
      { 'Idempotency-Key': options?.idempotencyKey ?? newUuid() },
    ),

  resendInvitation: (patientId, options) =>
    postJson<IssuedInvitation>(`${path('patients', patientId)}/invitation/resend`, undefined, {
      'Idempotency-Key': options?.idempotencyKey ?? newUuid(),
    }),

  unlockPortalAccount: (patientId) => postJson<PatientRecord>(`${path('patients', patientId)}/portal-unlock`),

  endPortalSessions: (patientId) => postJson<PatientRecord>(`${path('patients', patientId)}/portal-sessions/end`),

  retryEmail: (id) => postJson<unknown>(`${path('emails', id)}/retry`),

  verifyAuditChain: () => getJson<AuditVerifyResult>(`${API_URL}/audit-events/verify`),

  getAuditCheckpoint: () => getJson<AuditCheckpoint>(`${API_URL}/audit-events/checkpoint`),

  exportAuditEvents: async (filter) => {
    const url = `${API_URL}/audit-events/export?filter=${encodeURIComponent(JSON.stringify(filter))}`;
    let response: Response;
    try {
      response = await fetch(url, {
        credentials: 'include',
        headers: withCsrf(new Headers({ Accept: 'text/csv' }), 'GET'),
      });
    } catch (error) {
      throw toApiError(error);
    }
    if (!response.ok) throw await errorFromResponse(response);
    const today = new Date().toISOString().slice(0, 10);
    return {
      blob: await response.blob(),
      filename: filenameFrom(response.headers.get('Content-Disposition'), `audit-log-${today}.csv`),
    };
  },

  getPortalHistory: (patientId) => getJson<PortalHistory>(`${path('patients', patientId)}/portal-history`),

  getChart: (patientId) => getJson<PatientChart>(`${path('patients', patientId)}/chart`),

  getDashboard: () => getJson<DashboardCounts>(`${API_URL}/dashboard`),

  getEmailPreview: (id) => getJson<EmailPreview>(`${path('emails', id)}/preview`),

  getPracticeSettings: () => getJson<PracticeSettingsView>(`${API_URL}/practice`),

  updatePracticeSettings: (changes) => postJson<PracticeSettingsView>(`${API_URL}/practice`, changes, undefined, 'PUT'),

  getDevMailbox: async () => {
    const json = await getJson<DevMailboxMessage[] | { data: DevMailboxMessage[] }>(`${API_URL}/dev-mailbox`);
    const items = Array.isArray(json) ? json : (json?.data ?? []);
    return [...items].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  },
};
