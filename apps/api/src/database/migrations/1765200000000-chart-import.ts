import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * Charts from the EHR: patients learn their FHIR id, whether the EHR still considers them active
 * (or deceased) and when their email or phone last changed; MRNs widen to hold the 36-character
 * UUIDs many EHRs use; imports and their rejected lines get tables of their own.
 * Self-contained on purpose: migrations never import live code.
 */
const id = (name = 'id', primary = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: primary });
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const int = (name: string, fallback?: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'integer',
  isNullable: nullable,
  ...(fallback === undefined ? {} : { default: fallback }),
});
const ts = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });

export class ChartImport1765200000000 implements MigrationInterface {
  name = 'ChartImport1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const mysql = ['mysql', 'mariadb'].includes(queryRunner.connection.options.type);
    if (mysql) {
      // One ALTER: a table rebuild per column would be slow on a big practice.
      await queryRunner.query(
        'ALTER TABLE patients MODIFY mrn varchar(64) NOT NULL, ADD COLUMN fhirId varchar(64) NULL, ' +
          'ADD COLUMN active tinyint(1) NOT NULL DEFAULT 1, ADD COLUMN inactiveReason varchar(16) NULL, ' +
          'ADD COLUMN contactChangedAt datetime(3) NULL, ADD UNIQUE INDEX UQ_patients_practice_fhir (practiceId, fhirId)',
      );
    } else {
      await queryRunner.changeColumn('patients', 'mrn', new TableColumn(str('mrn', 64)));
      await queryRunner.addColumns('patients', [
        new TableColumn(str('fhirId', 64, true)),
        new TableColumn({ name: 'active', type: 'boolean', default: 1 }),
        new TableColumn(str('inactiveReason', 16, true)),
        new TableColumn(ts('contactChangedAt', true)),
      ]);
      await queryRunner.createIndex('patients', new TableIndex({ name: 'UQ_patients_practice_fhir', columnNames: ['practiceId', 'fhirId'], isUnique: true }));
    }

    await queryRunner.createTable(
      new Table({
        name: 'chart_imports',
        columns: [
          id('id', true),
          id('practiceId'),
          str('status', 16),
          str('source', 16),
          str('fileName', 255),
          str('format', 16, true),
          str('filePath', 1000, true),
          str('actorType', 16),
          str('actorId', 36, true),
          str('actorName', 160, true),
          int('patientsCreated', 0),
          int('patientsUpdated', 0),
          int('patientsUnchanged', 0),
          int('entries', 0),
          int('skipped', 0),
          int('rejected', 0),
          int('warnings', 0),
          int('processed', 0),
          int('total', undefined, true),
          int('attempts', 0),
          { name: 'error', type: 'text', isNullable: true },
          ts('claimedUntil', true),
          ts('createdAt'),
          ts('startedAt', true),
          ts('finishedAt', true),
        ],
        indices: [
          new TableIndex({ name: 'IDX_chart_imports_practice_created', columnNames: ['practiceId', 'createdAt'] }),
          new TableIndex({ name: 'IDX_chart_imports_due', columnNames: ['status', 'claimedUntil'] }),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'chart_import_issues',
        columns: [
          id('id', true),
          id('importId'),
          id('practiceId'),
          str('kind', 8),
          int('seq'),
          str('file', 255),
          int('line'),
          str('resourceType', 64, true),
          str('resourceId', 64, true),
          str('reason', 500),
        ],
        indices: [new TableIndex({ name: 'IDX_chart_import_issues_import', columnNames: ['importId', 'kind', 'seq'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('chart_import_issues');
    await queryRunner.dropTable('chart_imports');
    if (['mysql', 'mariadb'].includes(queryRunner.connection.options.type)) {
      await queryRunner.query(
        'ALTER TABLE patients DROP INDEX UQ_patients_practice_fhir, DROP COLUMN contactChangedAt, DROP COLUMN inactiveReason, ' +
          'DROP COLUMN active, DROP COLUMN fhirId, MODIFY mrn varchar(32) NOT NULL',
      );
      return;
    }
    await queryRunner.dropIndex('patients', 'UQ_patients_practice_fhir');
    for (const column of ['contactChangedAt', 'inactiveReason', 'active', 'fhirId']) await queryRunner.dropColumn('patients', column);
    await queryRunner.changeColumn('patients', 'mrn', new TableColumn(str('mrn', 32)));
  }
}
