import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';

/** argon2id for passwords and security answers only; short codes use keyed HMACs instead. */
@Injectable()
export class PasswordHasher {
  private dummyHash: Promise<string> | null = null;

  hash(secret: string): Promise<string> {
    return argon2.hash(secret, { type: argon2.argon2id });
  }

  async verify(hash: string | null | undefined, secret: string): Promise<boolean> {
    if (!hash) {
      // Spend the same time as a real check so a missing account cannot be told apart.
      this.dummyHash ??= this.hash('resetdesk-timing-equaliser');
      await argon2.verify(await this.dummyHash, secret).catch(() => false);
      return false;
    }
    try {
      return await argon2.verify(hash, secret);
    } catch {
      return false;
    }
  }
}

/** Security answers compare after trimming, collapsing spaces and case-folding. */
export function normaliseSecurityAnswer(answer: string): string {
  return answer.normalize('NFKC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('en-US');
}
