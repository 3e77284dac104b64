import type { EntityManager } from 'typeorm';
import { StaffUser } from './staff-user.entity';

/** The writes of `staff_users`: the admin screens change members; sign-in stamps lastLoginAt. */
export class StaffUsersRepository {
  private constructor(private readonly manager: EntityManager) {}

  static on(manager: EntityManager): StaffUsersRepository {
    return new StaffUsersRepository(manager);
  }

  insert(user: StaffUser): Promise<unknown> {
    return this.manager.insert(StaffUser, user);
  }

  async update(id: string, changes: Partial<StaffUser>): Promise<void> {
    await this.manager.update(StaffUser, { id }, changes);
  }

  async recordSignIn(id: string, at: Date): Promise<void> {
    await this.manager.update(StaffUser, { id }, { lastLoginAt: at });
  }
}
