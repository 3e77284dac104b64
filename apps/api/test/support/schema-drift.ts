import { DataSource, TableColumn } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { SEARCH_KEY_COLUMNS } from '../../src/patients/patient-search-counts';

/** MySQL-only generated search keys on patients: in the migrations on purpose, never in the entity. */
const DATABASE_ONLY_COLUMNS = new Set<string>(SEARCH_KEY_COLUMNS.map((key) => `patients.${key.name}`));
const DATABASE_ONLY_INDEXES = new Set<string>(SEARCH_KEY_COLUMNS.map((key) => `patients.${key.index}`));

function describeDatabaseColumn(column: TableColumn): string {
  return [
    column.type + (column.length ? `(${column.length})` : '') + (column.precision != null ? ` precision ${column.precision}` : ''),
    column.width ? `width ${column.width}` : '',
    column.isNullable ? 'NULL' : 'NOT NULL',
    column.default !== undefined ? `DEFAULT ${column.default}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function describeEntityColumn(dataSource: DataSource, column: ColumnMetadata): string {
  const driver = dataSource.driver;
  const length = driver.getColumnLength(column);
  const fallback = driver.normalizeDefault(column);
  return [
    driver.normalizeType(column) + (length ? `(${length})` : '') + (column.precision != null ? ` precision ${column.precision}` : ''),
    column.width ? `width ${column.width}` : '',
    column.isNullable ? 'NULL' : 'NOT NULL',
    fallback !== undefined ? `DEFAULT ${fallback}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * What TypeORM's schema builder considers different between the entities and the database,
 * one line per table, column or index, so a drift failure says exactly where to look (the
 * builder's own output is a wall of ALTER/CREATE statements that repeat unchanged indexes).
 */
export async function describeSchemaDrift(dataSource: DataSource): Promise<string[]> {
  const queryRunner = dataSource.createQueryRunner();
  try {
    const metadatas = dataSource.entityMetadatas;
    const tables = await queryRunner.getTables(metadatas.map((m) => m.tablePath));
    const lines: string[] = [];
    for (const metadata of [...metadatas].sort((a, b) => a.tableName.localeCompare(b.tableName))) {
      const table = tables.find((t) => t.name === metadata.tablePath || t.name.endsWith(`.${metadata.tablePath}`));
      if (!table) {
        lines.push(`${metadata.tableName}: table missing in the database`);
        continue;
      }
      const changed = dataSource.driver.findChangedColumns(table.columns, metadata.columns);
      for (const column of changed) {
        const dbColumn = table.findColumnByName(column.databaseName);
        lines.push(
          dbColumn
            ? `${metadata.tableName}.${column.databaseName}: database has ${describeDatabaseColumn(dbColumn)}; entity wants ${describeEntityColumn(dataSource, column)}`
            : `${metadata.tableName}.${column.databaseName}: missing in the database`,
        );
      }
      for (const column of metadata.columns) {
        if (!table.findColumnByName(column.databaseName) && !changed.includes(column))
          lines.push(`${metadata.tableName}.${column.databaseName}: missing in the database`);
      }
      for (const dbColumn of table.columns) {
        if (DATABASE_ONLY_COLUMNS.has(`${metadata.tableName}.${dbColumn.name}`)) continue;
        if (!metadata.columns.some((c) => c.databaseName === dbColumn.name))
          lines.push(`${metadata.tableName}.${dbColumn.name}: in the database, not in the entity`);
      }
      for (const index of metadata.indices) {
        const dbIndex = table.indices.find((i) => i.name === index.name);
        const columns = index.columns.map((c) => c.databaseName);
        if (!dbIndex) lines.push(`${metadata.tableName} index ${index.name} (${columns.join(', ')}): missing in the database`);
        else if (!!dbIndex.isUnique !== !!index.isUnique || dbIndex.columnNames.join(',') !== columns.join(',')) {
          lines.push(
            `${metadata.tableName} index ${index.name}: database ${dbIndex.isUnique ? 'unique ' : ''}(${dbIndex.columnNames.join(', ')}); entity ${index.isUnique ? 'unique ' : ''}(${columns.join(', ')})`,
          );
        }
      }
      for (const dbIndex of table.indices) {
        if (DATABASE_ONLY_INDEXES.has(`${metadata.tableName}.${dbIndex.name}`)) continue;
        if (!metadata.indices.some((i) => i.name === dbIndex.name))
          lines.push(`${metadata.tableName} index ${dbIndex.name}: in the database, not in the entity`);
      }
    }
    return lines;
  } finally {
    await queryRunner.release();
  }
}
