import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AuditLogService } from '../audit/audit-log.service';
import { IssuedSession } from '../auth/staff-auth.service';
import { AppSecrets } from '../common/app-secrets';
import { DomainException } from '../common/domain.exception';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { UnitOfWork } from '../database/unit-of-work';
import { StaffUser } from '../staff/staff-user.entity';
import { StaffMfaChallenge } from './staff-mfa-challenge.entity';
import { StaffMfaRepository } from './staff-mfa.repository';
import { MfaActor, StaffMfaService } from './staff-mfa.service';

const REGISTRATION_TTL_MS = 5 * 60_000;
const PASSKEY_REFUSED = 'That passkey was not accepted. Try again, or use another way to sign in.';

const staffActor = (user: StaffUser) => ({ type: 'staff' as const, id: user.id, name: user.name });

/**
 * Passkeys (WebAuthn) as a second factor. The relying party is PUBLIC_URL: its host is the RP ID
 * and its origin the only one accepted, so a passkey answered on another site never counts.
 */
@Injectable()
export class PasskeyService {
  private readonly rpID: string;
  private readonly origin: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly keys: AppSecrets,
    private readonly repository: StaffMfaRepository,
    private readonly mfa: StaffMfaService,
    private readonly audit: AuditLogService,
    private readonly uow: UnitOfWork,
  ) {
    const url = new URL(config.publicUrl);
    this.rpID = url.hostname;
    this.origin = url.origin;
  }

  /** Registration options, and the sealed challenge the browser keeps in a cookie until /verify. */
  async registrationOptions(actor: MfaActor): Promise<{ options: PublicKeyCredentialCreationOptionsJSON; sealedChallenge: string }> {
    const existing = (await this.repository.confirmedFactors(actor.user.id)).filter((f) => f.kind === 'webauthn');
    const options = await generateRegistrationOptions({
      rpName: `ResetDesk (${actor.practice.name})`,
      rpID: this.rpID,
      userName: actor.user.email,
      userDisplayName: actor.user.name,
      userID: new TextEncoder().encode(actor.user.id),
      attestationType: 'none',
      excludeCredentials: existing.map((f) => ({ id: f.credentialId!, transports: transportsOf(f.transports) })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
    const sealedChallenge = this.keys.seal(
      'staff-webauthn-registration',
      JSON.stringify({ challenge: options.challenge, staffUserId: actor.user.id, expiresAt: Date.now() + REGISTRATION_TTL_MS }),
    );
    return { options, sealedChallenge };
  }

  /** Stores the new passkey; a first factor also gets its recovery codes (shown once). */
  async register(
    actor: MfaActor,
    sealedChallenge: string | undefined,
    response: RegistrationResponseJSON,
    name: string | undefined,
  ): Promise<{ id: string; recoveryCodes: string[] | null }> {
    let expected: { challenge: string; staffUserId: string; expiresAt: number };
    try {
      expected = JSON.parse(this.keys.unseal('staff-webauthn-registration', sealedChallenge ?? ''));
    } catch {
      throw new DomainException('bad_request', 'Start adding the passkey again.');
    }
    if (expected.staffUserId !== actor.user.id || expected.expiresAt < Date.now()) throw new DomainException('bad_request', 'Start adding the passkey again.');
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: expected.challenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpID,
      });
    } catch {
      throw new DomainException('unprocessable', 'The passkey could not be added. Try again.');
    }
    if (!verification.verified || !verification.registrationInfo) throw new DomainException('unprocessable', 'The passkey could not be added. Try again.');
    const { credential } = verification.registrationInfo;
    if (await this.repository.passkeyByCredentialId(credential.id)) throw new DomainException('conflict', 'That passkey is already registered.');
    const now = new Date();
    const id = randomUUID();
    const label = (name ?? '').trim().slice(0, 100) || 'Passkey';
    const recoveryCodes = await this.uow.run(async (manager) => {
      const isFirst = (await this.repository.confirmedFactors(actor.user.id, manager)).length === 0;
      await this.repository.insertPasskey(
        {
          id,
          staffUserId: actor.user.id,
          practiceId: actor.user.practiceId,
          kind: 'webauthn',
          name: label,
          sealedSecret: null,
          lastUsedStep: null,
          credentialId: credential.id,
          publicKey: Buffer.from(credential.publicKey).toString('base64url'),
          signCount: credential.counter,
          transports: credential.transports?.join(',') ?? null,
          confirmedAt: now,
          lastUsedAt: null,
          createdAt: now,
        },
        manager,
      );
      await this.audit.append(
        manager,
        actor.user.practiceId,
        { action: 'staff.passkey_added', details: { staffUserId: actor.user.id, passkeyId: id, name: label } },
        staffActor(actor.user),
      );
      if (!isFirst) return null;
      await this.audit.append(
        manager,
        actor.user.practiceId,
        { action: 'staff.mfa_enrolled', details: { staffUserId: actor.user.id, factor: 'webauthn' } },
        staffActor(actor.user),
      );
      return this.mfa.recoveryCodesIfNone(actor.user, manager);
    });
    return { id, recoveryCodes };
  }

  async remove(actor: MfaActor, passkeyId: string): Promise<void> {
    await this.uow.run(async (manager) => {
      const removed = await this.repository.deletePasskey(actor.user.id, passkeyId, manager);
      if (!removed) throw DomainException.notFound('passkey');
      await this.audit.append(
        manager,
        actor.user.practiceId,
        { action: 'staff.passkey_removed', details: { staffUserId: actor.user.id, passkeyId, name: removed.name } },
        staffActor(actor.user),
      );
    });
  }

  /** Options for the second step: only this person's passkeys are allowed. */
  async signInOptions(actor: MfaActor & { challenge: StaffMfaChallenge }): Promise<PublicKeyCredentialRequestOptionsJSON> {
    const passkeys = (await this.repository.confirmedFactors(actor.user.id)).filter((f) => f.kind === 'webauthn');
    if (!passkeys.length) throw new DomainException('conflict', 'You have no passkey. Use another way to sign in.');
    const options = await generateAuthenticationOptions({
      rpID: this.rpID,
      allowCredentials: passkeys.map((f) => ({ id: f.credentialId!, transports: transportsOf(f.transports) })),
      userVerification: 'preferred',
    });
    await this.repository.setWebauthnChallenge(actor.challenge.id, options.challenge);
    return options;
  }

  async signIn(actor: MfaActor & { challenge: StaffMfaChallenge }, response: AuthenticationResponseJSON): Promise<IssuedSession> {
    await this.mfa.assertLiveAndNotThrottled(actor);
    const expectedChallenge = actor.challenge.webauthnChallenge;
    const factor = typeof response?.id === 'string' ? await this.repository.passkeyByCredentialId(response.id) : null;
    // Another person's passkey, or one answered for another origin, is a failed second step.
    if (!expectedChallenge || !factor || factor.staffUserId !== actor.user.id || !factor.publicKey) {
      return this.mfa.secondStepFailed(actor, 'passkey_rejected', PASSKEY_REFUSED);
    }
    let newCounter: number;
    try {
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpID,
        credential: {
          id: factor.credentialId!,
          publicKey: Buffer.from(factor.publicKey, 'base64url'),
          counter: factor.signCount ?? 0,
          transports: transportsOf(factor.transports),
        },
      });
      if (!verification.verified) throw new Error('not verified');
      newCounter = verification.authenticationInfo.newCounter;
    } catch {
      return this.mfa.secondStepFailed(actor, 'passkey_rejected', PASSKEY_REFUSED);
    }
    return this.mfa.completeSignIn(actor, 'webauthn', async (manager) => {
      await this.repository.setWebauthnChallenge(actor.challenge.id, null, manager);
      await this.repository.recordPasskeyUse(factor.id, newCounter, new Date(), manager);
    });
  }
}

function transportsOf(stored: string | null): AuthenticatorTransportFuture[] | undefined {
  return stored ? (stored.split(',') as AuthenticatorTransportFuture[]) : undefined;
}
