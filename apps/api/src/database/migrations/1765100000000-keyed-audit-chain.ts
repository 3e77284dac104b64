import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * The audit chain becomes keyed (HMAC under a key derived from APP_SECRET, which no migration
 * sees). Events already written keep their plain SHA-256 hashes, so each practice's head records
 * the first seq of its keyed segment: one past its last event today, 1 for chains begun later.
 */
export class KeyedAuditChain1765100000000 implements MigrationInterface {
  name = 'KeyedAuditChain1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('audit_chain_heads', new TableColumn({ name: 'keyedFromSeq', type: 'integer', isNullable: false, default: 1 }));
    await queryRunner.query('UPDATE audit_chain_heads SET keyedFromSeq = lastSeq + 1');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('audit_chain_heads', 'keyedFromSeq');
  }
}
