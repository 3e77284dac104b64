import 'reflect-metadata';
import { NestExpressApplication } from '@nestjs/platform-express';
import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { seedDemo } from '../../src/seed/demo-seed';
import { TestDatabase, createTestDatabase } from './test-database';
import { TEST_APP_SECRET } from './test-env';

export interface TestApp {
  app: NestExpressApplication;
  /** http://127.0.0.1:<port> of the listening app. */
  url: string;
  server: import('http').Server;
  dataSource: DataSource;
  config: AppConfig;
  db: TestDatabase;
  dataDir: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Extra environment variables, as an operator would set them. */
  env?: Record<string, string>;
  /** Load the demo data with this many patients per practice (0: no seed). */
  seedPatients?: number;
  label?: string;
  /** Listen here instead of an ephemeral port (when PUBLIC_URL must name the address, e.g. an OpenID issuer). */
  port?: number;
}

/**
 * A fresh MySQL database, migrated, optionally seeded, and the real application listening on an
 * ephemeral port: one per test file, never shared.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase(options.label);
  const dataDir = mkdtempSync(join(tmpdir(), 'resetdesk-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    APP_SECRET: TEST_APP_SECRET,
    DATA_DIR: dataDir,
    SEED_DEMO: 'false',
    RUN_DISPATCHER: 'false',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL || 'silent',
    ...options.env,
  });
  let app: NestExpressApplication;
  let dataSource: DataSource;
  try {
    app = await createApp(config);
    dataSource = app.get(DataSource);
    await dataSource.runMigrations({ transaction: 'each' });
    if (options.seedPatients) await seedDemo(dataSource, { patientsPerPractice: options.seedPatients });
    await app.listen(options.port ?? 0, '127.0.0.1');
  } catch (error) {
    // Leave no orphaned test database behind when the app cannot start.
    await db.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const server = app.getHttpServer() as import('http').Server;
  const { port } = server.address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    server,
    dataSource,
    config,
    db,
    dataDir,
    async close() {
      await app.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
