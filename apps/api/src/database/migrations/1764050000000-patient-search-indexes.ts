import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/**
 * Search by first name or email returns patients sorted by last name: carrying lastName and
 * firstName in those indexes lets each search scan and sort inside the index, without reading rows.
 */
export class PatientSearchIndexes1764050000000 implements MigrationInterface {
  name = 'PatientSearchIndexes1764050000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.replace(queryRunner, 'IDX_patients_practice_first', ['practiceId', 'firstName', 'lastName']);
    await this.replace(queryRunner, 'IDX_patients_practice_email', ['practiceId', 'email', 'lastName', 'firstName']);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await this.replace(queryRunner, 'IDX_patients_practice_first', ['practiceId', 'firstName']);
    await this.replace(queryRunner, 'IDX_patients_practice_email', ['practiceId', 'email']);
  }

  private async replace(queryRunner: QueryRunner, name: string, columnNames: string[]): Promise<void> {
    await queryRunner.dropIndex('patients', name);
    await queryRunner.createIndex('patients', new TableIndex({ name, columnNames }));
  }
}
