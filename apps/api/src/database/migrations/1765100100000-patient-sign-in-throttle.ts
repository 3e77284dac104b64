import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

/**
 * Patient sign-in throttling: failed sign-ins counted per client address and per username (keyed
 * hashes, not the values), and account locks that end by themselves. Locks already in place for
 * too many failures get the first lock's 15 minutes from when they began.
 */
export class PatientSignInThrottle1765100100000 implements MigrationInterface {
  name = 'PatientSignInThrottle1765100100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'sign_in_failures',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'subjectKey', type: 'varchar', length: '64' },
          { name: 'createdAt', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'IDX_sign_in_failures_subject', columnNames: ['subjectKey', 'createdAt'] })],
      }),
    );
    await queryRunner.addColumn('portal_accounts', new TableColumn({ name: 'lockedUntil', type: 'datetime', precision: 3, isNullable: true }));
    const locked: { id: string; lockedAt: Date | string }[] = await queryRunner.query(
      "SELECT id, lockedAt FROM portal_accounts WHERE status = 'locked' AND lockReason = 'too_many_login_failures' AND lockedAt IS NOT NULL",
    );
    for (const row of locked) {
      const lockedAt =
        row.lockedAt instanceof Date ? row.lockedAt : new Date(String(row.lockedAt).replace(' ', 'T') + (/[Zz+]/.test(String(row.lockedAt)) ? '' : 'Z'));
      // Stored datetimes are UTC; this spelling binds on both drivers (SQLite takes no Date).
      const until = new Date(lockedAt.getTime() + 15 * 60_000).toISOString().replace('T', ' ').replace('Z', '');
      await queryRunner.query('UPDATE portal_accounts SET lockedUntil = ? WHERE id = ?', [until, row.id]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('portal_accounts', 'lockedUntil');
    await queryRunner.dropTable('sign_in_failures');
  }
}
