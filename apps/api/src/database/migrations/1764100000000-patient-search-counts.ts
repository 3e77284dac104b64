import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';
import {
  SEARCH_COUNT_PREFIX_LENGTH,
  SEARCH_COUNT_TABLE,
  addSearchKeyColumnsSql,
  createSearchCountTriggersSql,
  dropSearchKeyColumnsSql,
  dropSearchCountTriggersSql,
  rebuildSearchCountsSql,
} from '../../patients/patient-search-counts';

/**
 * Search at a million patients (see patient-search-counts.ts and patient-search.ts):
 * - the name index carries `id` then `email`, so a first-name or email search can walk it in name
 *   order (id is the tie-break) and test the email without reading the row;
 * - on MySQL/MariaDB, exact per-prefix patient counts kept by triggers, and 3-character search
 *   keys of first name and email indexed in name order. SQLite, the single-user default, counts
 *   and sorts live and gets none of these.
 */
export class PatientSearchCounts1764100000000 implements MigrationInterface {
  name = 'PatientSearchCounts1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await replaceIndex(queryRunner, 'IDX_patients_practice_last_first', ['practiceId', 'lastName', 'firstName', 'id', 'email']);
    if (queryRunner.connection.options.type !== 'mysql') return;

    // The prefixes must compare exactly as the searched columns do, whatever the server's default.
    const [column] = await queryRunner.query(
      "SELECT CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'patients' AND COLUMN_NAME = 'lastName'",
    );
    await queryRunner.query(
      `CREATE TABLE ${SEARCH_COUNT_TABLE} (
         practiceId varchar(36) NOT NULL,
         field varchar(8) NOT NULL,
         prefixLength tinyint NOT NULL,
         prefix varchar(${SEARCH_COUNT_PREFIX_LENGTH}) CHARACTER SET ${column.charset} COLLATE ${column.collation} NOT NULL,
         patients int NOT NULL,
         PRIMARY KEY (practiceId, field, prefixLength, prefix)
       ) ENGINE=InnoDB`,
    );
    for (const sql of addSearchKeyColumnsSql(column.charset, column.collation)) await queryRunner.query(sql);
    try {
      for (const sql of createSearchCountTriggersSql()) await queryRunner.query(sql);
    } catch (error) {
      // MySQL with binary logging lets only SUPER create triggers unless the server trusts creators.
      if ((error as { driverError?: { errno?: number } }).driverError?.errno === 1419) {
        throw new Error(
          'MySQL refused to create the patient search triggers: binary logging is on and the database user lacks SUPER. ' +
            'Start MySQL with --log-bin-trust-function-creators=1 (docker-compose.yml does) or run the migration as an admin user.',
        );
      }
      throw error;
    }
    for (const sql of rebuildSearchCountsSql()) await queryRunner.query(sql);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    if (queryRunner.connection.options.type === 'mysql') {
      for (const sql of dropSearchCountTriggersSql()) await queryRunner.query(sql);
      await queryRunner.query(`DROP TABLE ${SEARCH_COUNT_TABLE}`);
      for (const sql of dropSearchKeyColumnsSql()) await queryRunner.query(sql);
    }
    await replaceIndex(queryRunner, 'IDX_patients_practice_last_first', ['practiceId', 'lastName', 'firstName']);
  }
}

async function replaceIndex(queryRunner: QueryRunner, name: string, columnNames: string[]): Promise<void> {
  await queryRunner.dropIndex('patients', name);
  await queryRunner.createIndex('patients', new TableIndex({ name, columnNames }));
}
