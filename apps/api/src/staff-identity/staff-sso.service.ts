import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { Repository } from 'typeorm';
import type { StaffRole } from '@resetdesk/contracts';
import { AuditLogService } from '../audit/audit-log.service';
import { IssuedSession, StaffAuthService } from '../auth/staff-auth.service';
import { AppSecrets } from '../common/app-secrets';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from '../staff/staff-user.entity';
import { PendingSignIn, PendingSignIns } from './pending-sign-ins';
import { StaffSsoConfig } from './staff-sso.config';

/** `amr` values that say the identity provider already asked for a second factor (RFC 8176). */
const MULTI_FACTOR_AMR = new Set(['mfa', 'otp', 'hwk', 'swk', 'sc', 'fpt', 'face', 'iris', 'retina', 'vbm', 'pop', 'sms', 'tel']);
export const SSO_COOKIE = 'rd_sso';
export const SSO_COOKIE_TTL_MS = 10 * 60_000;

export class SsoFailure extends Error {
  constructor(readonly reason: 'bad_state' | 'idp_error' | 'no_role' | 'inactive' | 'no_email' | 'other_practice') {
    super(reason);
  }
}

export type SsoOutcome = { session: IssuedSession; pending?: undefined } | { pending: PendingSignIn; session?: undefined };

interface Transaction {
  state: string;
  nonce: string;
  verifier: string;
  expiresAt: number;
}

/**
 * Staff sign-in through the clinic's identity provider (authorization code with PKCE). What the
 * callback needs to check (state, nonce, PKCE verifier) travels in a signed, HttpOnly cookie of
 * the browser that started the sign-in, so nothing of it sits in the database.
 */
@Injectable()
export class StaffSsoService {
  private readonly logger = new Logger(StaffSsoService.name);
  private discovered: Promise<oidc.Configuration> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectRepository(StaffUser) private readonly staffUsers: Repository<StaffUser>,
    @InjectRepository(Practice) private readonly practices: Repository<Practice>,
    private readonly auth: StaffAuthService,
    private readonly pendingSignIns: PendingSignIns,
    private readonly audit: AuditLogService,
    private readonly uow: UnitOfWork,
    private readonly keys: AppSecrets,
  ) {}

  get enabled(): boolean {
    return this.config.staffSso !== null;
  }

  get redirectUri(): string {
    return `${this.config.publicUrl}/api/auth/sso/callback`;
  }

  private get sso(): StaffSsoConfig {
    if (!this.config.staffSso) throw new SsoFailure('idp_error');
    return this.config.staffSso;
  }

  private client(): Promise<oidc.Configuration> {
    const sso = this.sso;
    this.discovered ??= oidc
      .discovery(
        new URL(sso.issuer),
        sso.clientId,
        sso.clientSecret,
        undefined,
        new URL(sso.issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((error: Error) => {
        // Try again next time: the identity provider may just have been down.
        this.discovered = null;
        throw error;
      });
    return this.discovered;
  }

  /** The identity provider's authorization URL, and the signed cookie value that goes with it. */
  async start(): Promise<{ url: string; cookie: string }> {
    const config = await this.client();
    const tx: Transaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      expiresAt: Date.now() + SSO_COOKIE_TTL_MS,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      state: tx.state,
      nonce: tx.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(tx.verifier),
      code_challenge_method: 'S256',
    });
    // Sealed (encrypted and authenticated): the browser holds it but can neither read nor forge it.
    return { url: url.href, cookie: this.keys.seal('staff-sso-state', JSON.stringify(tx)) };
  }

  private readCookie(value: string | undefined): Transaction {
    if (!value || value.length > 2048) throw new SsoFailure('bad_state');
    let tx: Transaction;
    try {
      tx = JSON.parse(this.keys.unseal('staff-sso-state', value)) as Transaction;
    } catch {
      throw new SsoFailure('bad_state');
    }
    if (!(tx.expiresAt > Date.now()) || typeof tx.state !== 'string' || typeof tx.nonce !== 'string' || typeof tx.verifier !== 'string')
      throw new SsoFailure('bad_state');
    return tx;
  }

  async callback(currentUrl: URL, cookie: string | undefined, ip: string, userAgent: string | null): Promise<SsoOutcome> {
    const tx = this.readCookie(cookie);
    const config = await this.client();
    // The answer must come back to our own redirect URI, whatever Host header reached us.
    const callbackUrl = new URL(this.redirectUri);
    callbackUrl.search = currentUrl.search;
    if (callbackUrl.searchParams.get('state') !== tx.state) throw new SsoFailure('bad_state');
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: tx.verifier,
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        idTokenExpected: true,
      });
      claims = { ...(tokens.claims() ?? {}) };
      if (claims[this.sso.roleClaim] === undefined || !claims.email) {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub as string);
        claims = { ...info, ...claims, [this.sso.roleClaim]: claims[this.sso.roleClaim] ?? info[this.sso.roleClaim] };
      }
    } catch (error) {
      this.logger.warn({ err: { name: (error as Error).name, message: (error as Error).message } }, 'single sign-on answer refused');
      throw new SsoFailure('idp_error');
    }
    return this.signIn(claims, ip, userAgent);
  }

  roleOf(claimValue: unknown): StaffRole | null {
    const values = (Array.isArray(claimValue) ? claimValue : typeof claimValue === 'string' ? [claimValue] : []).filter(
      (v): v is string => typeof v === 'string',
    );
    if (values.some((v) => this.sso.adminValues.includes(v))) return 'practice_admin';
    if (values.some((v) => this.sso.deskValues.includes(v))) return 'front_desk';
    return null;
  }

  private async practice(): Promise<Practice> {
    const key = this.sso.practice;
    const practice = (await this.practices.findOneBy({ id: key })) ?? (await this.practices.findOneBy({ name: key }));
    if (!practice) throw new SsoFailure('idp_error');
    return practice;
  }

  private async signIn(claims: Record<string, unknown>, ip: string, userAgent: string | null): Promise<SsoOutcome> {
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    if (!email) throw new SsoFailure('no_email');
    const role = this.roleOf(claims[this.sso.roleClaim]);
    const practice = await this.practice();
    let user = await this.staffUsers.findOneBy({ email });
    const refuse = async (why: 'sso_no_role' | 'inactive' | 'sso_other_practice', reason: SsoFailure['reason']) => {
      if (user) {
        await this.uow.run((manager) =>
          this.audit.append(
            manager,
            user!.practiceId,
            { action: 'staff.login_failed', details: { email, why } },
            { type: 'staff', id: user!.id, name: user!.name },
          ),
        );
      }
      throw new SsoFailure(reason);
    };
    if (!role) return refuse('sso_no_role', 'no_role');
    if (user && !user.active) return refuse('inactive', 'inactive');
    if (user && user.practiceId !== practice.id) return refuse('sso_other_practice', 'other_practice');
    if (!user) {
      const now = new Date();
      const name = (typeof claims.name === 'string' && claims.name.trim().slice(0, 160)) || email;
      // No usable password: this person signs in through the identity provider only.
      user = {
        id: randomUUID(),
        practiceId: practice.id,
        email,
        name,
        role,
        passwordHash: '!sso',
        active: true,
        lastLoginAt: null,
        createdAt: now,
        updatedAt: now,
      } as StaffUser;
      await this.uow.run(async (manager) => {
        await manager.insert(StaffUser, user!);
        await this.audit.append(
          manager,
          practice.id,
          { action: 'staff.created', details: { staffUserId: user!.id, email, role } },
          { type: 'staff', id: user!.id, name: user!.name },
        );
      });
    } else if (user.role !== role) {
      // The identity provider is the source of truth for roles of people who sign in through it.
      await this.staffUsers.update({ id: user.id }, { role, updatedAt: new Date() });
      user.role = role;
    }
    const amr = Array.isArray(claims.amr) ? claims.amr : [];
    const mfaDone = amr.some((v) => typeof v === 'string' && MULTI_FACTOR_AMR.has(v));
    const pending = await this.pendingSignIns.startIfDue(user, practice, 'sso', ip, userAgent, mfaDone);
    if (pending) return { pending };
    return {
      session: await this.auth.issueSession(user, practice, {
        ip,
        userAgent,
        accountKey: null,
        details: { method: 'sso', ...(mfaDone ? { secondFactor: 'sso_amr' as const } : {}) },
      }),
    };
  }
}
