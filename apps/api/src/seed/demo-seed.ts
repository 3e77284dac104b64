import * as argon2 from 'argon2';
import { registerDemoPortalApp } from '../demo-portal/demo-portal-app';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';
import type { ClinicalEntryKind, StaffRole } from '@resetdesk/contracts';
import { AuditChainHead } from '../audit/audit-event.entity';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { ChartImportService } from '../chart-import/chart-import.service';
import { chartIdFor } from '../chart-import/fhir-mapping';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { normaliseUsername, usernameSkeleton } from '../portal-accounts/username';
import { normaliseSecurityAnswer } from '../passwords/password-hasher.service';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from '../staff/staff-user.entity';
import { ALLERGIES, ENCOUNTERS, FIRST_NAMES, LAST_NAMES, MEDICATIONS, PROBLEMS, SECURITY_QUESTIONS, STREETS } from './demo-data';

export const DEMO_PASSWORD = 'ResetDesk-demo-2026';
/** Every seeded portal account signs in with this password; its security answer is "biscuit". */
export const DEMO_PATIENT_PASSWORD = 'Portal-demo-2026!';
export const DEMO_SECURITY_ANSWER = 'biscuit';

export const DEMO_LOGINS: { email: string; name: string; role: StaffRole; practice: string }[] = [
  { email: 'admin@maplegrove.test', name: 'Alicia Moreno', role: 'practice_admin', practice: 'maple-grove' },
  { email: 'desk@maplegrove.test', name: 'Devon Clarke', role: 'front_desk', practice: 'maple-grove' },
  { email: 'admin@riverside.test', name: 'Rachel Okoye', role: 'practice_admin', practice: 'riverside' },
  { email: 'desk@riverside.test', name: 'Sam Whitaker', role: 'front_desk', practice: 'riverside' },
];

const PRACTICES = [
  {
    slug: 'maple-grove',
    name: 'Maple Grove Family Medicine',
    phone: '+15035550100',
    timeZone: 'America/Los_Angeles',
    mrnPrefix: 'MG',
    areaCodes: ['503', '971', '360', '541'],
    city: 'Portland',
    state: 'OR',
    zip: '972',
  },
  {
    slug: 'riverside',
    name: 'Riverside Pediatrics',
    phone: '+13125550100',
    timeZone: 'America/Chicago',
    mrnPrefix: 'RP',
    areaCodes: ['312', '773', '872', '630'],
    city: 'Chicago',
    state: 'IL',
    zip: '606',
  },
] as const;

export const DEMO_PATIENTS_PER_PRACTICE = 240;

/** Small, fast, seedable PRNG: the same seed gives the same demo data on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stable UUID-shaped id for a seed row, so re-seeding yields the same ids. */
export function seedId(...parts: (string | number)[]): string {
  const hex = createHash('sha256').update(parts.join(':')).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function fixedSalt(label: string): Buffer {
  return createHash('sha256').update(`resetdesk-demo-salt:${label}`).digest().subarray(0, 16);
}

/** argon2id with a salt fixed per label: real hashes, identical across seed runs. */
function demoHash(secret: string, label: string): Promise<string> {
  return argon2.hash(secret, { type: argon2.argon2id, salt: fixedSalt(label) });
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const dayMs = 86_400_000;

export interface SeedOptions {
  patientsPerPractice?: number;
  /** The moment the demo is "now": invitations expire and locks happen relative to it. */
  now?: Date;
  /** This server's PUBLIC_URL: registers the Demo patient portal (/demo-portal/) as Maple Grove's portal app. */
  demoPortalUrl?: string;
}

export async function seedDemoIfEmpty(dataSource: DataSource, options: SeedOptions = {}): Promise<boolean> {
  if ((await dataSource.getRepository(Practice).count()) > 0) return false;
  await seedDemo(dataSource, options);
  return true;
}

export async function seedDemo(dataSource: DataSource, options: SeedOptions = {}): Promise<void> {
  const count = options.patientsPerPractice ?? DEMO_PATIENTS_PER_PRACTICE;
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / dayMs) * dayMs);
  const base = new Date('2025-06-01T09:00:00.000Z');
  const [patientPasswordHash, answerHash, ...staffHashes] = await Promise.all([
    demoHash(DEMO_PATIENT_PASSWORD, 'patient-password'),
    demoHash(normaliseSecurityAnswer(DEMO_SECURITY_ANSWER), 'security-answer'),
    ...DEMO_LOGINS.map((login) => demoHash(DEMO_PASSWORD, login.email)),
  ]);

  // Charts first, through the import (idempotent: a seed interrupted here simply runs again, since
  // no practice exists yet); then ResetDesk's own rows in one transaction.
  const portalRows: { accounts: PortalAccount[]; invitations: RegistrationInvitation[] }[] = [];
  for (const [practiceIndex, spec] of PRACTICES.entries()) {
    const rand = mulberry32(20261124 + practiceIndex);
    const practiceId = seedId('practice', spec.slug);
    portalRows.push(
      await seedPatients(dataSource, { ...spec, practiceId, count, rand, now, base, patientPasswordHash, answerHash, usernameOffset: practiceIndex * 100_000 }),
    );
  }
  await dataSource.transaction(async (manager) => {
    for (const [practiceIndex, spec] of PRACTICES.entries()) {
      const practiceId = seedId('practice', spec.slug);
      await manager.insert(Practice, {
        id: practiceId,
        name: spec.name,
        slug: spec.slug,
        phone: spec.phone,
        timeZone: spec.timeZone,
        allowSecurityQuestions: true,
        // The documented demo logins work with a password alone.
        staffMfa: 'optional',
        createdAt: base,
      });
      await manager.insert(AuditChainHead, { practiceId, lastSeq: 0, lastHash: null });
      if (practiceIndex === 0 && options.demoPortalUrl) await registerDemoPortalApp(manager, practiceId, options.demoPortalUrl);
      const staff = DEMO_LOGINS.map((login, i) => ({ login, hash: staffHashes[i]! })).filter(({ login }) => login.practice === spec.slug);
      await manager.insert(
        StaffUser,
        staff.map(({ login, hash }) => ({
          id: seedId('staff', login.email),
          practiceId,
          email: login.email,
          name: login.name,
          role: login.role,
          passwordHash: hash,
          active: true,
          lastLoginAt: null,
          createdAt: base,
          updatedAt: base,
        })),
      );
      const { accounts, invitations } = portalRows[practiceIndex]!;
      for (let start = 0; start < accounts.length; start += 200) await manager.insert(PortalAccount, accounts.slice(start, start + 200));
      if (invitations.length) await manager.insert(RegistrationInvitation, invitations);
    }
  });
}

interface PatientSeedContext {
  practiceId: string;
  slug: string;
  mrnPrefix: string;
  areaCodes: readonly string[];
  city: string;
  state: string;
  zip: string;
  count: number;
  rand: () => number;
  now: Date;
  base: Date;
  patientPasswordHash: string;
  answerHash: string;
  /** Usernames are unique across practices: each practice numbers its demo usernames apart. */
  usernameOffset: number;
}

/** The demo chart's FHIR id: `maple-grove-0007`. */
export function demoPatientFhirId(slug: string, i: number): string {
  return `${slug}-${pad(i, 4)}`;
}

/** The row id the import gives a demo chart (see chartIdFor). */
export function demoPatientId(slug: string, i: number): string {
  return chartIdFor(seedId('practice', slug), demoPatientFhirId(slug, i));
}

const ENTRY_RESOURCES: Record<ClinicalEntryKind, string> = {
  allergy: 'AllergyIntolerance',
  medication: 'MedicationRequest',
  problem: 'Condition',
  encounter: 'Encounter',
};

/** One demo clinical entry as the FHIR resource an EHR export would carry. */
function entryResource(
  kind: ClinicalEntryKind,
  id: string,
  patientFhirId: string,
  code: string,
  description: string,
  status: string,
  recordedOn: string,
): Record<string, unknown> {
  const concept = { coding: [{ code, display: description }], text: description };
  const reference = { reference: `Patient/${patientFhirId}` };
  const statusConcept = { coding: [{ code: status }] };
  switch (kind) {
    case 'allergy':
      return { resourceType: 'AllergyIntolerance', id, patient: reference, code: concept, clinicalStatus: statusConcept, recordedDate: recordedOn };
    case 'problem':
      return { resourceType: 'Condition', id, subject: reference, code: concept, clinicalStatus: statusConcept, recordedDate: recordedOn };
    case 'medication':
      return { resourceType: 'MedicationRequest', id, subject: reference, status, intent: 'order', medicationCodeableConcept: concept, authoredOn: recordedOn };
    default:
      return {
        resourceType: 'Encounter',
        id,
        subject: reference,
        status,
        class: { code: 'AMB', display: 'ambulatory' },
        type: [concept],
        period: { start: recordedOn },
      };
  }
}

/**
 * The demo charts are generated as FHIR R4 NDJSON (one Patient file, one file per clinical
 * type, as an EHR's Bulk Data export writes them) and loaded through the chart import, the one
 * writer of charts; portal accounts and invitations, which are ResetDesk's own, are inserted here.
 */
async function seedPatients(dataSource: DataSource, ctx: PatientSeedContext): Promise<{ accounts: PortalAccount[]; invitations: RegistrationInvitation[] }> {
  const { rand, practiceId } = ctx;
  const patientLines: string[] = [];
  const entryLines = new Map<string, string[]>();
  const accounts: PortalAccount[] = [];
  const invitations: RegistrationInvitation[] = [];

  for (let i = 1; i <= ctx.count; i++) {
    const firstName = pick(rand, FIRST_NAMES);
    const lastName = pick(rand, LAST_NAMES);
    const fhirId = demoPatientFhirId(ctx.slug, i);
    const id = chartIdFor(practiceId, fhirId);
    const year = ctx.slug === 'riverside' ? 2008 + Math.floor(rand() * 18) : 1940 + Math.floor(rand() * 65);
    const dateOfBirth = `${year}-${pad(1 + Math.floor(rand() * 12), 2)}-${pad(1 + Math.floor(rand() * 28), 2)}`;
    const hasEmail = i % 23 !== 0;
    const localPart = `${firstName}.${lastName}`.toLowerCase().replace(/[^a-z.]/g, '');
    const phoneDigits = `1${ctx.areaCodes[i % ctx.areaCodes.length]}555${pad(100 + Math.floor(i / ctx.areaCodes.length), 4)}`;
    const createdAt = new Date(ctx.base.getTime() + i * 3_600_000);
    const sex = rand() < 0.5 ? 'female' : 'male';
    const addressLine1 = `${100 + Math.floor(rand() * 9800)} ${pick(rand, STREETS)}`;
    const addressLine2 = rand() < 0.15 ? `Apt ${1 + Math.floor(rand() * 40)}` : null;
    const postalCode = `${ctx.zip}${pad(Math.floor(rand() * 100), 2)}`;
    patientLines.push(
      JSON.stringify({
        resourceType: 'Patient',
        id: fhirId,
        identifier: [
          { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, value: `${ctx.mrnPrefix}-${pad(100000 + i * 7, 6)}` },
        ],
        name: [{ use: 'official', family: lastName, given: [firstName] }],
        gender: sex,
        birthDate: dateOfBirth,
        telecom: [
          { system: 'phone', value: `+${phoneDigits}`, use: 'mobile' },
          ...(hasEmail ? [{ system: 'email', value: `${localPart}${i}@example.com` }] : []),
        ],
        address: [{ use: 'home', line: addressLine2 ? [addressLine1, addressLine2] : [addressLine1], city: ctx.city, state: ctx.state, postalCode }],
      }) + '\n',
    );

    const kinds: [ClinicalEntryKind, [string, string][], string][] = [
      ['allergy', ALLERGIES, 'active'],
      ['medication', MEDICATIONS, 'active'],
      ['problem', PROBLEMS, 'active'],
      ['encounter', ENCOUNTERS, 'finished'],
    ];
    for (const [kind, vocabulary, status] of kinds) {
      const n = kind === 'encounter' ? 1 + Math.floor(rand() * 4) : Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) {
        const [code, description] = pick(rand, vocabulary);
        const entryStatus = kind === 'medication' && rand() < 0.2 ? 'stopped' : status;
        const recordedOn = new Date(ctx.base.getTime() - Math.floor(rand() * 900) * 86_400_000).toISOString().slice(0, 10);
        if (kind === 'encounter') rand(); // the generator once drew an encounter note here; kept so the demo stays the same
        const resourceType = ENTRY_RESOURCES[kind];
        if (!entryLines.has(resourceType)) entryLines.set(resourceType, []);
        entryLines
          .get(resourceType)!
          .push(JSON.stringify(entryResource(kind, `${fhirId}-${kind}-${k}`, fhirId, code, description, entryStatus, recordedOn)) + '\n');
      }
    }
    // Every portal status is represented: active, locked, invited, link locked, none, plus closed history.
    const roll = i % 20;
    const username = `${firstName[0]}${lastName}${i + ctx.usernameOffset}`.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (roll <= 10 || roll === 15) {
      const locked = roll === 3 || roll === 15;
      if (roll === 7) {
        const oldName = `${username}.old`;
        accounts.push(account(ctx, id, seedId('account-old', ctx.slug, i), oldName, 'closed', createdAt));
      }
      accounts.push(
        account(
          ctx,
          id,
          seedId('account', ctx.slug, i),
          username,
          locked ? 'locked' : 'active',
          createdAt,
          roll === 15 ? 'too_many_recovery_failures' : 'too_many_login_failures',
        ),
      );
    } else if ((roll === 11 || roll === 12 || roll === 13 || roll === 16) && hasEmail) {
      // roll 16: a link locked by five wrong tries (portal status "Link locked").
      const linkLocked = roll === 16;
      invitations.push({
        id: seedId('invitation', ctx.slug, i),
        practiceId,
        patientId: id,
        tokenHash: createHash('sha256').update(`seed-token:${ctx.slug}:${i}`).digest('hex'),
        pinHash: createHash('sha256').update(`seed-pin:${ctx.slug}:${i}`).digest('hex'),
        status: linkLocked ? 'locked' : 'pending',
        pendingMarker: linkLocked ? null : 1,
        sentTo: `${localPart}${i}@example.com`,
        // One in three is close to expiry so the dashboard has something to show.
        expiresAt: new Date(ctx.now.getTime() + (roll === 13 ? 12 : 60) * 3_600_000),
        failedAttempts: linkLocked ? 5 : 0,
        verifiedAt: null,
        verifiedBy: null,
        usedAt: null,
        revokedAt: null,
        lockedAt: linkLocked ? new Date(ctx.now.getTime() - 3_600_000) : null,
        portalAccountId: null,
        createdByStaffId: null,
        createdAt: new Date(ctx.now.getTime() - 12 * 3_600_000),
      });
    }
  }

  // Clinical files first: the import loads Patients before what references them, whatever the order.
  const inputs = [...entryLines.entries()].map(([type, lines]) => ({ fileName: `${type}.000.ndjson`, stream: Readable.from(lines) }));
  inputs.push({ fileName: 'Patient.000.ndjson', stream: Readable.from(patientLines) });
  const importer = ChartImportService.unrecorded(dataSource);
  const result = await importer.run({ practiceId, source: 'cli', fileName: 'demo charts', inputs, record: false, now: () => ctx.base });
  if (result.status !== 'done' || result.counts.rejected) {
    throw new Error(`The demo charts did not import cleanly: ${result.error ?? result.rejects.map((r) => `${r.file}:${r.line} ${r.reason}`).join('; ')}`);
  }
  return { accounts, invitations };
}

function account(
  ctx: PatientSeedContext,
  patientId: string,
  id: string,
  username: string,
  status: 'active' | 'locked' | 'closed',
  createdAt: Date,
  lockReason = 'too_many_login_failures',
): PortalAccount {
  const closed = status === 'closed';
  return {
    id,
    practiceId: ctx.practiceId,
    patientId,
    username,
    usernameNormalized: normaliseUsername(username),
    usernameSkeleton: usernameSkeleton(username),
    status,
    openMarker: closed ? null : 1,
    passwordHash: closed ? null : ctx.patientPasswordHash,
    securityQuestion: closed ? null : SECURITY_QUESTIONS[username.length % SECURITY_QUESTIONS.length]!,
    securityAnswerHash: closed ? null : ctx.answerHash,
    failedLoginCount: status === 'locked' ? 5 : 0,
    lockReason: status === 'locked' ? lockReason : null,
    lockedAt: status === 'locked' ? new Date(ctx.now.getTime() - 2 * 3_600_000) : null,
    // Demo locks stay until staff unlock them, so the demo always has locked accounts to show.
    lockedUntil: null,
    closeReason: closed ? 'reset' : null,
    closedAt: closed ? new Date(createdAt.getTime() + 30 * 86_400_000) : null,
    lastLoginAt: status === 'active' ? new Date(ctx.now.getTime() - (username.length % 9) * 86_400_000) : null,
    createdAt,
    updatedAt: createdAt,
  };
}
