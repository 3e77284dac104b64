import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SecretKeys, newLinkToken, newNumericCode, safeEqualHex, sha256Hex } from './secrets';

/**
 * Every use of APP_SECRET, by name. Each purpose gets its own derived key, so a key leaked from
 * one use (say the CSRF signature) says nothing about another (the PIN hashes). A new use adds
 * its name here: the list is the inventory of what a change of APP_SECRET invalidates.
 */
export type SecretPurpose =
  | 'csrf'
  | 'login-account'
  | 'idempotency'
  | 'outbox'
  | 'registration-pin'
  | 'verification-code'
  | 'patient-form-csrf'
  | 'registration-proof'
  | 'password-reset-proof'
  | 'audit-chain-hmac'
  | 'audit-checkpoint-ed25519'
  | 'sign-in-throttle'
  | 'oidc-cookies'
  | 'oidc-store'
  | 'staff-mfa-csrf'
  | 'staff-totp-secret'
  | 'staff-recovery-code'
  | 'staff-sso-state'
  | 'staff-webauthn-registration';

/**
 * The one holder of APP_SECRET. Link tokens carry 256 bits, so a plain SHA-256 is enough to
 * store them; PINs and codes are short, so they are HMAC-ed with a derived key: without the key,
 * a stolen table cannot be brute-forced offline.
 */
@Injectable()
export class AppSecrets {
  private readonly keys: SecretKeys;

  constructor(@Inject(APP_CONFIG) config: Pick<AppConfig, 'appSecret'>) {
    this.keys = new SecretKeys(config.appSecret);
  }

  key(purpose: SecretPurpose): Buffer {
    return this.keys.key(purpose);
  }

  hmacHex(purpose: SecretPurpose, value: string): string {
    return this.keys.hmacHex(purpose, value);
  }

  seal(purpose: SecretPurpose, plaintext: string): string {
    return this.keys.seal(purpose, plaintext);
  }

  unseal(purpose: SecretPurpose, sealed: string): string {
    return this.keys.unseal(purpose, sealed);
  }

  newToken(): { token: string; tokenHash: string } {
    const token = newLinkToken();
    return { token, tokenHash: sha256Hex(token) };
  }

  tokenHash(token: string): string {
    return sha256Hex(token);
  }

  /** The 6-digit registration PIN staff read to the patient. */
  newPin(): { pin: string; pinHash: string } {
    const pin = newNumericCode(6);
    return { pin, pinHash: this.pinHash(pin) };
  }

  pinHash(pin: string): string {
    return this.hmacHex('registration-pin', pin);
  }

  pinMatches(pinHash: string, pin: string): boolean {
    return /^\d{6}$/.test(pin) && safeEqualHex(pinHash, this.pinHash(pin));
  }

  /** The 6-digit code sent by text or voice (NIST SP 800-63B-4 §4.2.1.2 asks for at least six). */
  newCode(): { code: string; codeHash: string } {
    const code = newNumericCode(6);
    return { code, codeHash: this.codeHash(code) };
  }

  codeHash(code: string): string {
    return this.hmacHex('verification-code', code);
  }

  codeMatches(codeHash: string, code: string): boolean {
    return /^\d{6}$/.test(code) && safeEqualHex(codeHash, this.codeHash(code));
  }

  /** Seals a secret for the outbox row that must deliver it; the dispatcher unseals and then erases it. */
  sealForOutbox(secret: string): string {
    return this.seal('outbox', secret);
  }

  unsealFromOutbox(sealed: string): string {
    return this.unseal('outbox', sealed);
  }
}
