import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager, IsNull } from 'typeorm';
import { StaffSession } from '../auth/staff-session.entity';
import { Practice } from '../practices/practice.entity';
import { StaffUser } from '../staff/staff-user.entity';
import { StaffMfaChallenge } from './staff-mfa-challenge.entity';
import { StaffMfaFactor } from './staff-mfa-factor.entity';
import { StaffRecoveryCode } from './staff-recovery-code.entity';

/** Every query of staff second factors, recovery codes and pending sign-ins. */
@Injectable()
export class StaffMfaRepository {
  constructor(private readonly dataSource: DataSource) {}

  private m(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /** Confirmed factors only: an enrolment that never saw its first code is not a factor. */
  confirmedFactors(staffUserId: string, manager?: EntityManager): Promise<StaffMfaFactor[]> {
    return this.m(manager)
      .createQueryBuilder(StaffMfaFactor, 'f')
      .where('f.staffUserId = :staffUserId AND f.confirmedAt IS NOT NULL', { staffUserId })
      .orderBy('f.createdAt', 'ASC')
      .getMany();
  }

  unconfirmedTotp(staffUserId: string, manager?: EntityManager): Promise<StaffMfaFactor | null> {
    return this.m(manager).findOneBy(StaffMfaFactor, { staffUserId, kind: 'totp', confirmedAt: IsNull() });
  }

  async replaceUnconfirmedTotp(factor: StaffMfaFactor, manager: EntityManager): Promise<void> {
    await manager.delete(StaffMfaFactor, { staffUserId: factor.staffUserId, kind: 'totp', confirmedAt: IsNull() });
    await manager.insert(StaffMfaFactor, factor);
  }

  /** Confirms a TOTP enrolment; an earlier confirmed app of the same person is replaced. */
  async confirmTotp(factorId: string, staffUserId: string, step: number, now: Date, manager: EntityManager): Promise<void> {
    await manager
      .createQueryBuilder()
      .delete()
      .from(StaffMfaFactor)
      .where('staffUserId = :staffUserId AND kind = :kind AND id <> :factorId', { staffUserId, kind: 'totp', factorId })
      .execute();
    await manager.update(StaffMfaFactor, { id: factorId }, { confirmedAt: now, lastUsedStep: step, lastUsedAt: now });
  }

  /**
   * Records a TOTP step as used, only if it is later than the last one: of two requests racing
   * with the same code, one wins.
   */
  async claimTotpStep(factorId: string, step: number, now: Date, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(StaffMfaFactor)
      .set({ lastUsedStep: step, lastUsedAt: now })
      .where('id = :factorId AND (lastUsedStep IS NULL OR lastUsedStep < :step)', { factorId, step })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  async insertPasskey(factor: StaffMfaFactor, manager: EntityManager): Promise<void> {
    await manager.insert(StaffMfaFactor, factor);
  }

  passkeyByCredentialId(credentialId: string): Promise<StaffMfaFactor | null> {
    return this.m().findOneBy(StaffMfaFactor, { credentialId, kind: 'webauthn' });
  }

  async recordPasskeyUse(factorId: string, signCount: number, now: Date, manager: EntityManager): Promise<void> {
    await manager.update(StaffMfaFactor, { id: factorId }, { signCount, lastUsedAt: now });
  }

  async deletePasskey(staffUserId: string, factorId: string, manager: EntityManager): Promise<StaffMfaFactor | null> {
    const factor = await manager.findOneBy(StaffMfaFactor, { id: factorId, staffUserId, kind: 'webauthn' });
    if (factor) await manager.delete(StaffMfaFactor, { id: factor.id });
    return factor;
  }

  async replaceRecoveryCodes(staffUserId: string, codeHashes: string[], now: Date, manager: EntityManager): Promise<void> {
    await manager.delete(StaffRecoveryCode, { staffUserId });
    if (codeHashes.length) {
      await manager.insert(
        StaffRecoveryCode,
        codeHashes.map((codeHash) => ({ id: randomUUID(), staffUserId, codeHash, usedAt: null, createdAt: now })),
      );
    }
  }

  /** Spends a recovery code: true only for the one request that marked it used. */
  async spendRecoveryCode(staffUserId: string, codeHash: string, now: Date, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(StaffRecoveryCode)
      .set({ usedAt: now })
      .where('staffUserId = :staffUserId AND codeHash = :codeHash AND usedAt IS NULL', { staffUserId, codeHash })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  unusedRecoveryCodes(staffUserId: string, manager?: EntityManager): Promise<number> {
    return this.m(manager).countBy(StaffRecoveryCode, { staffUserId, usedAt: IsNull() });
  }

  /** Forgets every factor and code of a person and ends their pending and open sign-ins. */
  async resetAll(staffUserId: string, now: Date, manager: EntityManager): Promise<{ factors: number; sessions: number }> {
    const factors = await manager.delete(StaffMfaFactor, { staffUserId });
    await manager.delete(StaffRecoveryCode, { staffUserId });
    await manager.update(StaffMfaChallenge, { staffUserId, endedAt: IsNull() }, { endedAt: now });
    const sessions = await manager.update(StaffSession, { staffUserId, revokedAt: IsNull() }, { revokedAt: now });
    return { factors: factors.affected ?? 0, sessions: sessions.affected ?? 0 };
  }

  async insertChallenge(challenge: StaffMfaChallenge): Promise<void> {
    await this.m().insert(StaffMfaChallenge, challenge);
  }

  challengeByTokenHash(tokenHash: string, manager?: EntityManager): Promise<StaffMfaChallenge | null> {
    return this.m(manager).findOneBy(StaffMfaChallenge, { tokenHash });
  }

  async setWebauthnChallenge(challengeId: string, webauthnChallenge: string | null, manager?: EntityManager): Promise<void> {
    await this.m(manager).update(StaffMfaChallenge, { id: challengeId }, { webauthnChallenge });
  }

  /** Counts a wrong code against a pending sign-in; returns the count after this one. */
  async addChallengeFailure(challengeId: string, manager: EntityManager): Promise<number> {
    await manager
      .createQueryBuilder()
      .update(StaffMfaChallenge)
      .set({ failedAttempts: () => 'failedAttempts + 1' })
      .where('id = :challengeId', { challengeId })
      .execute();
    const row = await manager.findOneByOrFail(StaffMfaChallenge, { id: challengeId });
    return row.failedAttempts;
  }

  /** Ends a pending sign-in; true only for the request that ended it (a code completes it once). */
  async endChallenge(challengeId: string, now: Date, manager: EntityManager): Promise<boolean> {
    const result = await manager
      .createQueryBuilder()
      .update(StaffMfaChallenge)
      .set({ endedAt: now })
      .where('id = :challengeId AND endedAt IS NULL', { challengeId })
      .execute();
    return (result.affected ?? 0) === 1;
  }

  async userWithPractice(staffUserId: string): Promise<{ user: StaffUser; practice: Practice } | null> {
    const user = await this.m().findOneBy(StaffUser, { id: staffUserId });
    if (!user) return null;
    const practice = await this.m().findOneByOrFail(Practice, { id: user.practiceId });
    return { user, practice };
  }
}
