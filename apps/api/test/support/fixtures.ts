import { DataSource } from 'typeorm';
import { seedId } from '../../src/seed/demo-seed';

export const MAPLE_GROVE_ID = seedId('practice', 'maple-grove');
export const RIVERSIDE_ID = seedId('practice', 'riverside');

/** Ids of seeded patients of a practice in a given portal situation, for tests to pick from. */
export async function patientIdsWith(
  dataSource: DataSource,
  practiceId: string,
  situation: 'active' | 'locked' | 'invited' | 'none' | 'no-email',
): Promise<string[]> {
  const sql: Record<typeof situation, string> = {
    active: `SELECT p.id FROM patients p JOIN portal_accounts a ON a.patientId = p.id AND a.openMarker = 1 AND a.status = 'active' WHERE p.practiceId = ? AND p.email IS NOT NULL ORDER BY p.mrn`,
    locked: `SELECT p.id FROM patients p JOIN portal_accounts a ON a.patientId = p.id AND a.openMarker = 1 AND a.status = 'locked' WHERE p.practiceId = ? AND p.email IS NOT NULL ORDER BY p.mrn`,
    invited: `SELECT p.id FROM patients p JOIN registration_invitations i ON i.patientId = p.id AND i.pendingMarker = 1 WHERE p.practiceId = ? ORDER BY p.mrn`,
    none: `SELECT p.id FROM patients p WHERE p.practiceId = ? AND p.email IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM portal_accounts a WHERE a.patientId = p.id)
             AND NOT EXISTS (SELECT 1 FROM registration_invitations i WHERE i.patientId = p.id) ORDER BY p.mrn`,
    'no-email': `SELECT p.id FROM patients p WHERE p.practiceId = ? AND p.email IS NULL ORDER BY p.mrn`,
  };
  const rows: { id: string }[] = await dataSource.query(sql[situation], [practiceId]);
  return rows.map((row) => row.id);
}

/** Every row of every table, as JSON text: for "this value is stored nowhere" assertions. */
export async function dumpAllTables(dataSource: DataSource): Promise<string> {
  const tables: { name: string }[] = await dataSource.query(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME`,
  );
  const parts: string[] = [];
  for (const { name } of tables) {
    const rows = await dataSource.query(`SELECT * FROM \`${name}\``);
    parts.push(`${name}: ${JSON.stringify(rows)}`);
  }
  return parts.join('\n');
}

/** The chart rows (demographics and clinical entries) of every patient, byte for byte. */
export async function dumpCharts(dataSource: DataSource): Promise<{ patients: unknown[]; entries: unknown[] }> {
  return {
    patients: await dataSource.query('SELECT * FROM patients ORDER BY id'),
    entries: await dataSource.query('SELECT * FROM clinical_entries ORDER BY id'),
  };
}
