import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuditEvent } from '../../src/audit/audit-event.entity';
import { AppSecrets } from '../../src/common/app-secrets';
import { OutboxMessage } from '../../src/outbox/outbox-message.entity';
import { PasswordResetRequest } from '../../src/password-resets/password-reset-request.entity';
import { Patient } from '../../src/patients/patient.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { DEMO_PATIENT_PASSWORD, DEMO_SECURITY_ANSWER } from '../../src/seed/demo-seed';
import { MAPLE_GROVE_ID } from '../support/fixtures';
import type { TestApp } from '../support/test-app';
import { PageResponse, PatientBrowser, h1Of, strip } from '../registration/registration-fixtures';

export { DEMO_PATIENT_PASSWORD, DEMO_SECURITY_ANSWER };
export const INVALID_LOGIN = 'Invalid username or password';
export const LOCKED_ACCOUNT = "Your account is locked. Please contact your doctor's office.";
export const INVALID_RESET_TOKEN = 'The reset token you have provided is not valid';
export const RESET_REQUESTED = 'If that username exists, we sent a password reset email to the address on file.';

/** A seeded patient with an active portal account, an email address and a phone number. */
export interface PortalPatient {
  patient: Patient;
  account: PortalAccount;
  /** Date of birth as the forms ask for it: YYYYMMDD. */
  dob: string;
}

/**
 * Seeded patients of Maple Grove with an active portal account (password DEMO_PATIENT_PASSWORD,
 * security answer DEMO_SECURITY_ANSWER), an email and a phone, in MRN order. Tests take one
 * each, so no test sees another's failures, links or locks.
 */
export async function portalPatients(t: TestApp, practiceId = MAPLE_GROVE_ID): Promise<PortalPatient[]> {
  const accounts = await t.dataSource.getRepository(PortalAccount).find({ where: { practiceId, status: 'active' } });
  const patients = await t.dataSource.getRepository(Patient).find({ where: { practiceId }, order: { mrn: 'ASC' } });
  const byPatient = new Map(accounts.map((a) => [a.patientId, a]));
  return patients
    .filter((p) => p.email && p.phone && byPatient.has(p.id))
    .map((patient) => ({ patient, account: byPatient.get(patient.id)!, dob: patient.dateOfBirth.replace(/-/g, '') }));
}

/** Opens the page first (for its CSRF cookie and token), then submits the form on it. */
export async function submitForm(browser: PatientBrowser, path: string, fields: Record<string, string>, formPath = path): Promise<PageResponse> {
  const form = await browser.get(formPath);
  assert.equal(form.status, 200, `GET ${formPath}: ${strip(form.text).slice(0, 200)}`);
  return browser.post(path, fields);
}

export function signIn(browser: PatientBrowser, username: string, password: string): Promise<PageResponse> {
  return submitForm(browser, '/login', { username, password });
}

/** Asks for a reset link and answers with the token it would carry, read from the outbox like the sender does. */
export async function requestResetLink(
  t: TestApp,
  username: string,
  browser = new PatientBrowser(t.server),
): Promise<{ page: PageResponse; token: string; request: PasswordResetRequest }> {
  const page = await submitForm(browser, '/forgot-password', { username });
  assert.equal(page.status, 200, strip(page.text).slice(0, 300));
  const account = await t.dataSource.getRepository(PortalAccount).findOneByOrFail({ username });
  const request = await t.dataSource
    .getRepository(PasswordResetRequest)
    .findOneOrFail({ where: { portalAccountId: account.id }, order: { createdAt: 'DESC' } });
  const message = await t.dataSource
    .getRepository(OutboxMessage)
    .findOneByOrFail({ subjectType: 'password_reset', subjectId: request.id, template: 'password-reset-email' });
  return { page, token: t.app.get(AppSecrets).unsealFromOutbox(message.sealedSecret!), request };
}

/** The latest code texted or phoned for a reset link, unsealed from its outbox row. */
export async function deliveredResetCode(t: TestApp, passwordResetId: string): Promise<string> {
  const messages = await t.dataSource.getRepository(OutboxMessage).find({
    where: { subjectType: 'password_reset', subjectId: passwordResetId, template: 'security-code' },
    order: { createdAt: 'DESC' },
  });
  assert.ok(messages[0], 'a security code was queued');
  return t.app.get(AppSecrets).unsealFromOutbox(messages[0].sealedSecret!);
}

/** Passes the security-question step in this browser; answers the new-password page. */
export async function verifyWithQuestion(browser: PatientBrowser, token: string, dob: string, answer = DEMO_SECURITY_ANSWER): Promise<PageResponse> {
  const path = `/reset-password/${token}/question`;
  const verified = await submitForm(browser, path, { dateOfBirth: dob, securityAnswer: answer });
  assert.equal(verified.status, 303, strip(verified.text).slice(0, 300));
  assert.equal(verified.location, 'new-password');
  const page = await browser.follow(path, verified);
  assert.equal(h1Of(page.text), 'Choose a new password');
  return page;
}

export function accountRow(t: TestApp, id: string): Promise<PortalAccount> {
  return t.dataSource.getRepository(PortalAccount).findOneByOrFail({ id });
}

export function resetRow(t: TestApp, id: string): Promise<PasswordResetRequest> {
  return t.dataSource.getRepository(PasswordResetRequest).findOneByOrFail({ id });
}

/** [action, reason] of a patient's audit events, oldest first. */
export async function auditTrail(t: TestApp, patientId: string): Promise<[string, string | null][]> {
  const events = await t.dataSource.getRepository(AuditEvent).find({ where: { patientId }, order: { seq: 'ASC' } });
  return events.map((e) => [e.action, e.reason]);
}

/**
 * Posts the two kinds of request alternately (so load on the machine falls on both alike; the
 * first rounds warm up) and asserts the pages are identical and the median times comparable:
 * within 3x or 30 ms of each other, whichever is larger.
 */
export async function assertSameAnswerAndTiming(
  post: (fields: Record<string, string>) => Promise<PageResponse>,
  real: () => Record<string, string>,
  unknown: () => Record<string, string>,
  rounds = 12,
): Promise<void> {
  const times: [number[], number[]] = [[], []];
  const pages = new Set<string>();
  for (let round = 0; round < rounds; round++) {
    for (const [index, fields] of [real, unknown].entries()) {
      const started = performance.now();
      const page = await post(fields());
      const elapsed = performance.now() - started;
      assert.equal(page.status, 200);
      pages.add(comparable(page));
      if (round >= 2) times[index]!.push(elapsed);
    }
  }
  assert.equal(pages.size, 1, 'byte-for-byte the same page (CSRF token aside)');
  const [a, b] = times.map(median) as [number, number];
  const allowed = Math.max(30, 2 * Math.min(a, b));
  assert.ok(Math.abs(a - b) <= allowed, `medians ${a.toFixed(1)} ms (exists) and ${b.toFixed(1)} ms (unknown) differ by more than ${allowed.toFixed(1)} ms`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A page's visible text with the per-response CSRF token taken out, for "same answer" comparisons. */
export function comparable(page: PageResponse): string {
  return page.text.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value=""');
}

/** A username no account has ever held. */
export function unknownUsername(): string {
  return `nobody.${randomUUID().slice(0, 8)}`;
}
