import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import request from 'supertest';
import { IsNull } from 'typeorm';
import type { InvitationStatus } from '@resetdesk/contracts';
import { AppSecrets } from '../../src/common/app-secrets';
import { RegistrationInvitation } from '../../src/invitations/registration-invitation.entity';
import { Patient } from '../../src/patients/patient.entity';
import { PortalAccount } from '../../src/portal-accounts/portal-account.entity';
import { Practice } from '../../src/practices/practice.entity';
import type { TestApp } from '../support/test-app';

export const MAPLE_GROVE = 'Maple Grove Family Medicine';
/** Strong enough for the password policy and free of any seeded patient's details. */
export const GOOD_PASSWORD = 'Lantern-quiver-orbit-marsh-93';

export interface IssuedLink {
  invitationId: string;
  token: string;
  pin: string;
  patient: Patient;
  /** The patient's date of birth as the form asks for it: YYYYMMDD. */
  dob: string;
}

/** Patients of a practice that have both an email address and a phone number, in MRN order. */
export async function patientsOf(t: TestApp, practiceName = MAPLE_GROVE): Promise<Patient[]> {
  const practice = await t.dataSource.getRepository(Practice).findOneByOrFail({ name: practiceName });
  const patients = await t.dataSource.getRepository(Patient).find({ where: { practiceId: practice.id }, order: { mrn: 'ASC' } });
  return patients.filter((p) => p.email && p.phone);
}

/**
 * Writes an invitation row directly, as the staff reset would, so these tests know the token
 * and PIN. The patient's open account is closed and pending invitations revoked first, which is
 * what a reset does and what the unique indexes require.
 */
export async function issueInvitation(
  t: TestApp,
  patient: Patient,
  options: { status?: InvitationStatus; expiresAt?: Date; failedAttempts?: number } = {},
): Promise<IssuedLink> {
  const secrets = t.app.get(AppSecrets);
  const { token, tokenHash } = secrets.newToken();
  const { pin, pinHash } = secrets.newPin();
  const status = options.status ?? 'pending';
  const now = new Date();
  const invitationId = randomUUID();
  await t.dataSource.transaction(async (manager) => {
    await manager.update(
      PortalAccount,
      { patientId: patient.id, openMarker: 1 },
      { status: 'closed', openMarker: null, closeReason: 'reset', closedAt: now, passwordHash: null, securityAnswerHash: null },
    );
    await manager.update(RegistrationInvitation, { patientId: patient.id, status: 'pending' }, { status: 'revoked', pendingMarker: null, revokedAt: now });
    await manager.insert(RegistrationInvitation, {
      id: invitationId,
      practiceId: patient.practiceId,
      patientId: patient.id,
      tokenHash,
      pinHash,
      status,
      pendingMarker: status === 'pending' ? 1 : null,
      sentTo: patient.email!,
      expiresAt: options.expiresAt ?? new Date(now.getTime() + 72 * 3_600_000),
      failedAttempts: options.failedAttempts ?? 0,
      verifiedAt: null,
      verifiedBy: null,
      usedAt: status === 'used' ? now : null,
      revokedAt: status === 'revoked' ? now : null,
      lockedAt: status === 'locked' ? now : null,
      portalAccountId: null,
      createdByStaffId: null,
      createdAt: now,
    });
  });
  return { invitationId, token, pin, patient, dob: patient.dateOfBirth.replace(/-/g, '') };
}

export function invitationRow(t: TestApp, id: string): Promise<RegistrationInvitation> {
  return t.dataSource.getRepository(RegistrationInvitation).findOneByOrFail({ id });
}

export function openAccountsOf(t: TestApp, patientId: string): Promise<PortalAccount[]> {
  return t.dataSource.getRepository(PortalAccount).find({ where: { patientId, closedAt: IsNull() } });
}

/** A PIN guaranteed not to be this link's. */
export function wrongPin(pin: string): string {
  return String((Number(pin) + 1) % 1_000_000).padStart(6, '0');
}

/** Another valid date of birth, one day off. */
export function wrongDob(dob: string): string {
  const date = new Date(`${dob.slice(0, 4)}-${dob.slice(4, 6)}-${dob.slice(6, 8)}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

export interface PageResponse {
  status: number;
  text: string;
  location: string | undefined;
  setCookies: string[];
}

/**
 * One patient's browser without JavaScript: keeps cookies, reads the CSRF token from the last
 * page it loaded and sends it with the next form, the way a real form submission would.
 */
export class PatientBrowser {
  readonly cookies = new Map<string, string>();
  csrf: string | null = null;

  /** `headers` go with every request, e.g. X-Forwarded-Proto: https for a browser behind the TLS proxy. */
  constructor(
    readonly server: Server,
    private readonly headers: Record<string, string> = {},
  ) {}

  async get(path: string): Promise<PageResponse> {
    return this.remember(await request(this.server).get(path).set(this.headers).set('Accept', 'text/html').set('Cookie', this.cookieHeader()).redirects(0));
  }

  /** Posts a form; `csrf: false` leaves the token out, a string sends that token instead. */
  async post(path: string, fields: Record<string, string>, options: { csrf?: string | false } = {}): Promise<PageResponse> {
    const token = options.csrf === undefined ? this.csrf : options.csrf;
    const form = token === false || token === null ? fields : { _csrf: token, ...fields };
    return this.remember(
      await request(this.server)
        .post(path)
        .type('form')
        .set(this.headers)
        .set('Accept', 'text/html')
        .set('Cookie', this.cookieHeader())
        .send(form)
        .redirects(0),
    );
  }

  /** Follows a 303 from a form post to the page it names, relative to the post's path. */
  async follow(from: string, response: PageResponse): Promise<PageResponse> {
    assert.equal(response.status, 303, `expected a redirect, got ${response.status}: ${strip(response.text).slice(0, 300)}`);
    return this.get(new URL(response.location!, `http://x${from}`).pathname);
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(response: request.Response): PageResponse {
    const setCookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const name = pair!.slice(0, pair!.indexOf('='));
      const value = pair!.slice(pair!.indexOf('=') + 1);
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const csrf = /name="_csrf" value="([^"]+)"/.exec(response.text ?? '');
    if (csrf) this.csrf = csrf[1]!;
    return { status: response.status, text: response.text ?? '', location: response.headers.location, setCookies };
  }
}

/** Page text without tags or entity-escaped apostrophes, for reading what the patient sees. */
export function strip(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

export function titleOf(html: string): string {
  return strip(/<title>([\s\S]*?)<\/title>/.exec(html)?.[1] ?? '');
}

export function h1Of(html: string): string {
  return strip(/<h1[^>]*>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '');
}

export const LOCKED_MESSAGE = "For your security this link has been locked. Please contact your doctor's office.";
export const FORM_EXPIRED_MESSAGE = 'This form has expired. Go back, reload the page and try again.';
