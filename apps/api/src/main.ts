import 'reflect-metadata';
import cluster from 'node:cluster';
import { DataSource } from 'typeorm';
import { createApp } from './app.factory';
import { AppConfig, ConfigError, loadConfig } from './config/app-config';
import { buildDataSourceOptions } from './database/data-source-options';
import { seedDemoIfEmpty, seedId, DEMO_LOGINS, DEMO_PASSWORD } from './seed/demo-seed';
import { registerDemoPortalApp } from './demo-portal/demo-portal-app';

/** Sent by a cluster worker to the primary once its server is listening. */
const LISTENING = 'resetdesk:listening';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ResetDesk cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  if (config.webConcurrency === 1) return runSingleProcess(config);
  if (cluster.isPrimary) return runPrimary(config);
  return runClusterWorker(config);
}

async function runSingleProcess(config: AppConfig): Promise<void> {
  const app = await createApp(config);
  const seeded = await prepareDatabase(app.get(DataSource), config);
  await app.listen(config.port);
  printBanner(config, seeded);
}

/**
 * WEB_CONCURRENCY > 1: one Node process per core sharing the port, because one event loop tops
 * out on a single core while the database has more to give. The primary migrates and seeds once,
 * then forks; it serves nothing itself and replaces a worker that dies.
 */
async function runPrimary(config: AppConfig): Promise<void> {
  const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  let seeded: boolean;
  try {
    seeded = await prepareDatabase(dataSource, config);
  } finally {
    await dataSource.destroy();
  }

  let stopping = false;
  let listening = 0;
  const fork = () =>
    cluster.fork().on('message', (message: unknown) => {
      if (message === LISTENING && ++listening === config.webConcurrency) printBanner(config, seeded);
    });
  for (let i = 0; i < config.webConcurrency; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    console.error(`ResetDesk worker ${worker.process.pid} stopped (${signal ?? `exit code ${code}`}); starting a new one.`);
    setTimeout(fork, 1000);
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
      cluster.disconnect(() => process.exit(0));
    });
  }
}

async function runClusterWorker(config: AppConfig): Promise<void> {
  const app = await createApp(config);
  await app.listen(config.port);
  process.send?.(LISTENING);
}

async function prepareDatabase(dataSource: DataSource, config: AppConfig): Promise<boolean> {
  await dataSource.runMigrations({ transaction: 'each' });
  const demoPortalUrl = config.env === 'development' ? config.publicUrl : undefined;
  const seeded = config.seedDemo ? await seedDemoIfEmpty(dataSource, { demoPortalUrl }) : false;
  // A demo database seeded earlier, or served at another address now: point the demo portal here.
  if (!seeded && demoPortalUrl) await ensureDemoPortalApp(dataSource, demoPortalUrl);
  return seeded;
}

/** Only where the demo practices exist (a database seeded with the demo data). */
async function ensureDemoPortalApp(dataSource: DataSource, publicUrl: string): Promise<void> {
  const mapleGrove = seedId('practice', 'maple-grove');
  if ((await dataSource.query('SELECT COUNT(*) AS n FROM practices WHERE id = ?', [mapleGrove]))[0].n > 0) {
    await dataSource.transaction((manager) => registerDemoPortalApp(manager, mapleGrove, publicUrl));
  }
}

function printBanner(config: AppConfig, seeded: boolean): void {
  const where =
    config.database.type === 'mysql' ? `MySQL ${config.database.host}:${config.database.port}/${config.database.database}` : `SQLite ${config.database.path}`;
  const lines = [
    '',
    `ResetDesk is running at ${config.publicUrl}`,
    `  API docs:  ${config.publicUrl}/api/docs`,
    `  Database:  ${where}${seeded ? ' (demo data loaded)' : ''}`,
    `  Email:     ${config.mail.smtpUrl ? 'SMTP ' + new URL(config.mail.smtpUrl).host : 'dev mailbox (Dev mailbox page in the console)'}`,
  ];
  if (config.webConcurrency > 1) lines.push(`  Processes: ${config.webConcurrency} (WEB_CONCURRENCY)`);
  if (config.env === 'development') lines.push(`  Demo patient portal: ${config.publicUrl}/demo-portal/`);
  if (config.seedDemo) {
    lines.push('  Demo sign-ins (password ' + DEMO_PASSWORD + '):');
    for (const login of DEMO_LOGINS) lines.push(`    ${login.email.padEnd(24)} ${login.role}`);
  }
  console.log(lines.join('\n') + '\n');
}

void bootstrap();
