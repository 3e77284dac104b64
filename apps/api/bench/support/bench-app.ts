import 'reflect-metadata';
import { NestExpressApplication } from '@nestjs/platform-express';
import mysql from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { DEMO_PASSWORD } from '../../src/seed/demo-seed';

export const BENCH_MYSQL_URL = process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306';

/** What a reader needs to judge the numbers: the server and how much of the data fits in memory. */
export interface ServerInfo {
  version: string;
  bufferPoolMb: number;
  flushLogAtTrxCommit: number;
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** A connection to the bench database, for bulk loading, ANALYZE and EXPLAIN. */
  sql: mysql.Connection;
  server: ServerInfo;
  drop(): Promise<void>;
  close(): Promise<void>;
}

/** A fresh database on the bench server, named so a leftover one is recognisable. */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = `rd_bench_${label.replace(/[^a-z0-9]/gi, '')}_${randomBytes(3).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: BENCH_MYSQL_URL });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  return openBenchDatabase(name);
}

/** An existing database on the bench server (one kept by an earlier `--keep` run, or a fresh one). */
export async function openBenchDatabase(name: string): Promise<BenchDatabase> {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`"${name}" is not a database name`);
  const url = new URL(BENCH_MYSQL_URL);
  url.pathname = `/${name}`;
  // Same time zone as the app's pool, so Date parameters replayed in EXPLAIN mean the same instant.
  const sql = await mysql.createConnection({ uri: url.toString(), timezone: 'Z', dateStrings: ['DATE'] });
  const [rows] = await sql.query<mysql.RowDataPacket[]>(
    'SELECT VERSION() AS version, @@innodb_buffer_pool_size AS pool, @@innodb_flush_log_at_trx_commit AS flush',
  );
  const row = rows[0]!;
  return {
    name,
    url: url.toString(),
    sql,
    server: { version: String(row.version), bufferPoolMb: Number(row.pool) / 1024 / 1024, flushLogAtTrxCommit: Number(row.flush) },
    async drop() {
      await sql.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await sql.end();
    },
    async close() {
      await sql.end();
    },
  };
}

export interface BenchApp {
  app: NestExpressApplication;
  dataSource: DataSource;
  url: string;
  close(): Promise<void>;
}

/** The real application on the bench database: migrated, quiet, listening on an ephemeral port. */
export async function startBenchApp(databaseUrl: string): Promise<BenchApp & { listen(): Promise<string> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'resetdesk-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    APP_SECRET: randomBytes(32).toString('base64url'),
    DATA_DIR: dataDir,
    SEED_DEMO: 'false',
    RUN_DISPATCHER: 'false',
    // Request logging would be measured along with the search; the numbers are about the query.
    LOG_LEVEL: 'silent',
    // A run with slow plans can go on for an hour; its one session must last that long.
    SESSION_IDLE_MINUTES: '240',
  });
  const app = await createApp(config);
  const dataSource = app.get(DataSource);
  await dataSource.runMigrations({ transaction: 'each' });
  const bench = {
    app,
    dataSource,
    url: '',
    async listen() {
      await app.listen(0, '127.0.0.1');
      const { port } = (app.getHttpServer() as import('http').Server).address() as AddressInfo;
      bench.url = `http://127.0.0.1:${port}`;
      return bench.url;
    },
    async close() {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return bench;
}

/** Signs a demo staff user in over HTTP and returns the Cookie header a browser would send. */
export async function signInCookie(baseUrl: string, email: string, password = DEMO_PASSWORD): Promise<string> {
  const response = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`Sign-in of ${email} failed with ${response.status}: ${await response.text()}`);
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0]!)
    .join('; ');
}
