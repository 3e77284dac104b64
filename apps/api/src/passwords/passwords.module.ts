import { Global, Module } from '@nestjs/common';
import { PasswordHasher } from './password-hasher.service';

/** argon2id hashing, for every feature that keeps a password or a security answer. */
@Global()
@Module({
  providers: [PasswordHasher],
  exports: [PasswordHasher],
})
export class PasswordsModule {}
