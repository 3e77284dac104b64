import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * One row per practice that syncs charts from its EHR: the `transactionTime` of the last export
 * imported whole (the next export's `_since`), and the lease that lets one process at a time
 * run the practice's sync, whichever process (API, worker, command line) asks.
 */
export class FhirSyncState1765300000000 implements MigrationInterface {
  name = 'FhirSyncState1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'fhir_sync_states',
        columns: [
          { name: 'practiceId', type: 'varchar', length: '36', isPrimary: true },
          { name: 'lastTransactionTime', type: 'varchar', length: '40', isNullable: true },
          { name: 'lastCompletedAt', type: 'datetime', precision: 3, isNullable: true },
          { name: 'lastImportId', type: 'varchar', length: '36', isNullable: true },
          { name: 'leaseOwner', type: 'varchar', length: '64', isNullable: true },
          { name: 'leaseExpiresAt', type: 'datetime', precision: 3, isNullable: true },
          { name: 'nextRunAt', type: 'datetime', precision: 3, isNullable: true },
          { name: 'updatedAt', type: 'datetime', precision: 3 },
        ],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('fhir_sync_states');
  }
}
