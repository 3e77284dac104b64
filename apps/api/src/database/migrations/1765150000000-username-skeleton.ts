import { MigrationInterface, QueryRunner, TableColumn, TableIndex } from 'typeorm';
import unhomoglyph from 'unhomoglyph';

/**
 * Look-alike usernames: each account also stores the confusable skeleton of its name (Unicode
 * confusables.txt), unique across every account, so "rеc1" with a Cyrillic е cannot be registered
 * beside "rec1". The skeleton is computed here, not by live code, so this migration stays frozen.
 */
function skeleton(username: string): string {
  return unhomoglyph(username.normalize('NFKC').toLowerCase().normalize('NFD')).normalize('NFD');
}

export class UsernameSkeleton1765150000000 implements MigrationInterface {
  name = 'UsernameSkeleton1765150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('portal_accounts', new TableColumn({ name: 'usernameSkeleton', type: 'varchar', length: '255', isNullable: true }));
    const rows: { id: string; username: string }[] = await queryRunner.query('SELECT id, username FROM portal_accounts');
    for (const row of rows) {
      await queryRunner.query('UPDATE portal_accounts SET usernameSkeleton = ? WHERE id = ?', [skeleton(row.username), row.id]);
    }
    await queryRunner.changeColumn(
      'portal_accounts',
      'usernameSkeleton',
      new TableColumn({ name: 'usernameSkeleton', type: 'varchar', length: '255', isNullable: false }),
    );
    await queryRunner.createIndex(
      'portal_accounts',
      new TableIndex({ name: 'UQ_portal_accounts_username_skeleton', columnNames: ['usernameSkeleton'], isUnique: true }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('portal_accounts', 'UQ_portal_accounts_username_skeleton');
    await queryRunner.dropColumn('portal_accounts', 'usernameSkeleton');
  }
}
