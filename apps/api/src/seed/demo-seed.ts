import * as argon2 from 'argon2';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import type { ClinicalEntryKind, StaffRole } from '@resetdesk/contracts';
import { AuditChainHead } from '../audit/audit-event.entity';
import { RegistrationInvitation } from '../invitations/registration-invitation.entity';
import { ClinicalEntry } from '../patients/clinical-entry.entity';
import { Patient } from '../patients/patient.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { normaliseUsername } from '../portal-accounts/username';
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
  { slug: 'maple-grove', name: 'Maple Grove Family Medicine', phone: '+15035550100', timeZone: 'America/Los_Angeles', mrnPrefix: 'MG', areaCodes: ['503', '971', '360', '541'], city: 'Portland', state: 'OR', zip: '972' },
  { slug: 'riverside', name: 'Riverside Pediatrics', phone: '+13125550100', timeZone: 'America/Chicago', mrnPrefix: 'RP', areaCodes: ['312', '773', '872', '630'], city: 'Chicago', state: 'IL', zip: '606' },
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

  await dataSource.transaction(async (manager) => {
    for (const [practiceIndex, spec] of PRACTICES.entries()) {
      const rand = mulberry32(20261124 + practiceIndex);
      const practiceId = seedId('practice', spec.slug);
      await manager.insert(Practice, {
        id: practiceId,
        name: spec.name,
        slug: spec.slug,
        phone: spec.phone,
        timeZone: spec.timeZone,
        allowSecurityQuestions: true,
        createdAt: base,
      });
      await manager.insert(AuditChainHead, { practiceId, lastSeq: 0, lastHash: null });
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
      await seedPatients(manager, { ...spec, practiceId, count, rand, now, base, patientPasswordHash, answerHash, usernameOffset: practiceIndex * 100_000 });
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

async function seedPatients(manager: EntityManager, ctx: PatientSeedContext): Promise<void> {
  const { rand, practiceId } = ctx;
  const patients: Patient[] = [];
  const entries: ClinicalEntry[] = [];
  const accounts: PortalAccount[] = [];
  const invitations: RegistrationInvitation[] = [];

  for (let i = 1; i <= ctx.count; i++) {
    const firstName = pick(rand, FIRST_NAMES);
    const lastName = pick(rand, LAST_NAMES);
    const id = seedId('patient', ctx.slug, i);
    const year = ctx.slug === 'riverside' ? 2008 + Math.floor(rand() * 18) : 1940 + Math.floor(rand() * 65);
    const dateOfBirth = `${year}-${pad(1 + Math.floor(rand() * 12), 2)}-${pad(1 + Math.floor(rand() * 28), 2)}`;
    const hasEmail = i % 23 !== 0;
    const localPart = `${firstName}.${lastName}`.toLowerCase().replace(/[^a-z.]/g, '');
    const phoneDigits = `1${ctx.areaCodes[i % ctx.areaCodes.length]}555${pad(100 + Math.floor(i / ctx.areaCodes.length), 4)}`;
    const createdAt = new Date(ctx.base.getTime() + i * 3_600_000);
    patients.push({
      id,
      practiceId,
      mrn: `${ctx.mrnPrefix}-${pad(100000 + i * 7, 6)}`,
      firstName,
      lastName,
      dateOfBirth,
      sex: rand() < 0.5 ? 'female' : 'male',
      email: hasEmail ? `${localPart}${i}@example.com` : null,
      phone: `+${phoneDigits}`,
      phoneDigits,
      addressLine1: `${100 + Math.floor(rand() * 9800)} ${pick(rand, STREETS)}`,
      addressLine2: rand() < 0.15 ? `Apt ${1 + Math.floor(rand() * 40)}` : null,
      city: ctx.city,
      state: ctx.state,
      postalCode: `${ctx.zip}${pad(Math.floor(rand() * 100), 2)}`,
      createdAt,
      updatedAt: createdAt,
    });

    const kinds: [ClinicalEntryKind, [string, string][], string][] = [
      ['allergy', ALLERGIES, 'active'],
      ['medication', MEDICATIONS, 'active'],
      ['problem', PROBLEMS, 'active'],
      ['encounter', ENCOUNTERS, 'completed'],
    ];
    for (const [kind, vocabulary, status] of kinds) {
      const n = kind === 'encounter' ? 1 + Math.floor(rand() * 4) : Math.floor(rand() * 3);
      for (let k = 0; k < n; k++) {
        const [code, description] = pick(rand, vocabulary);
        entries.push({
          id: seedId('entry', ctx.slug, i, kind, k),
          practiceId,
          patientId: id,
          kind,
          code,
          description,
          status: kind === 'medication' && rand() < 0.2 ? 'discontinued' : status,
          recordedOn: new Date(ctx.base.getTime() - Math.floor(rand() * 900) * 86_400_000).toISOString().slice(0, 10),
          notes: kind === 'encounter' && rand() < 0.5 ? 'Seen by Dr. Patel. Follow up in 6 months.' : null,
          createdAt,
        });
      }
    }

    // Every portal status is represented: active, locked, invited, none, plus closed history.
    const roll = i % 20;
    const username = `${firstName[0]}${lastName}${i + ctx.usernameOffset}`.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (roll <= 10 || roll === 15) {
      const locked = roll === 3 || roll === 15;
      if (roll === 7) {
        const oldName = `${username}.old`;
        accounts.push(account(ctx, id, seedId('account-old', ctx.slug, i), oldName, 'closed', createdAt));
      }
      accounts.push(account(ctx, id, seedId('account', ctx.slug, i), username, locked ? 'locked' : 'active', createdAt, roll === 15 ? 'too_many_recovery_failures' : 'too_many_login_failures'));
    } else if ((roll === 11 || roll === 12 || roll === 13) && hasEmail) {
      invitations.push({
        id: seedId('invitation', ctx.slug, i),
        practiceId,
        patientId: id,
        tokenHash: createHash('sha256').update(`seed-token:${ctx.slug}:${i}`).digest('hex'),
        pinHash: createHash('sha256').update(`seed-pin:${ctx.slug}:${i}`).digest('hex'),
        status: 'pending',
        pendingMarker: 1,
        sentTo: `${localPart}${i}@example.com`,
        // One in three is close to expiry so the dashboard has something to show.
        expiresAt: new Date(ctx.now.getTime() + (roll === 13 ? 12 : 60) * 3_600_000),
        failedAttempts: 0,
        verifiedAt: null,
        verifiedBy: null,
        usedAt: null,
        revokedAt: null,
        lockedAt: null,
        portalAccountId: null,
        createdByStaffId: null,
        createdAt: new Date(ctx.now.getTime() - 12 * 3_600_000),
      });
    }
  }

  for (let start = 0; start < patients.length; start += 200) await manager.insert(Patient, patients.slice(start, start + 200));
  for (let start = 0; start < entries.length; start += 200) await manager.insert(ClinicalEntry, entries.slice(start, start + 200));
  for (let start = 0; start < accounts.length; start += 200) await manager.insert(PortalAccount, accounts.slice(start, start + 200));
  if (invitations.length) await manager.insert(RegistrationInvitation, invitations);
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
    status,
    openMarker: closed ? null : 1,
    passwordHash: closed ? null : ctx.patientPasswordHash,
    securityQuestion: closed ? null : SECURITY_QUESTIONS[username.length % SECURITY_QUESTIONS.length]!,
    securityAnswerHash: closed ? null : ctx.answerHash,
    failedLoginCount: status === 'locked' ? 5 : 0,
    lockReason: status === 'locked' ? lockReason : null,
    lockedAt: status === 'locked' ? new Date(ctx.now.getTime() - 2 * 3_600_000) : null,
    closeReason: closed ? 'reset' : null,
    closedAt: closed ? new Date(createdAt.getTime() + 30 * 86_400_000) : null,
    lastLoginAt: status === 'active' ? new Date(ctx.now.getTime() - (username.length % 9) * 86_400_000) : null,
    createdAt,
    updatedAt: createdAt,
  };
}
