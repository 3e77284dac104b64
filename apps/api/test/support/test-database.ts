import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { TEST_MYSQL_URL } from './test-env';

export interface TestDatabase {
  name: string;
  url: string;
  /** A root connection to the server (no default database), for inspection and tampering. */
  admin: mysql.Connection;
  drop(): Promise<void>;
}

/** A fresh, empty MySQL database for one test file, dropped at the end. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const name = `rd_${label.replace(/[^a-z0-9]/gi, '').slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: TEST_MYSQL_URL, multipleStatements: false });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const base = new URL(TEST_MYSQL_URL);
  base.pathname = `/${name}`;
  return {
    name,
    url: base.toString(),
    admin,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    },
  };
}
