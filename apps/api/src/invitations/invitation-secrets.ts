import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SecretKeys, newLinkToken, newNumericCode, safeEqualHex, sha256Hex } from '../common/secrets';

/**
 * How registration and recovery secrets are made and stored. Link tokens carry 256 bits, so a
 * plain SHA-256 is enough; PINs and codes are short, so they are HMAC-ed with a key derived from
 * APP_SECRET: without the key, a stolen table cannot be brute-forced offline.
 */
@Injectable()
export class InvitationSecrets {
  readonly keys: SecretKeys;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = new SecretKeys(config.appSecret);
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
    return this.keys.hmacHex('registration-pin', pin);
  }

  pinMatches(pinHash: string, pin: string): boolean {
    return /^\d{6}$/.test(pin) && safeEqualHex(pinHash, this.pinHash(pin));
  }

  /** The 5-digit code sent by text or voice. */
  newCode(): { code: string; codeHash: string } {
    const code = newNumericCode(5);
    return { code, codeHash: this.codeHash(code) };
  }

  codeHash(code: string): string {
    return this.keys.hmacHex('verification-code', code);
  }

  codeMatches(codeHash: string, code: string): boolean {
    return /^\d{5}$/.test(code) && safeEqualHex(codeHash, this.codeHash(code));
  }

  /** Seals a secret for the outbox row that must deliver it; the dispatcher unseals and then erases it. */
  sealForOutbox(secret: string): string {
    return this.keys.seal('outbox', secret);
  }

  unsealFromOutbox(sealed: string): string {
    return this.keys.unseal('outbox', sealed);
  }
}
