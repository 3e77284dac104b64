import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { seedDemoIfEmpty, DEMO_LOGINS, DEMO_PASSWORD } from './seed/demo-seed';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`ResetDesk cannot start: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config);
  const dataSource = app.get(DataSource);
  await dataSource.runMigrations({ transaction: 'each' });
  const seeded = config.seedDemo ? await seedDemoIfEmpty(dataSource) : false;
  await app.listen(config.port);

  const where = config.database.type === 'mysql' ? `MySQL ${config.database.host}:${config.database.port}/${config.database.database}` : `SQLite ${config.database.path}`;
  const lines = [
    '',
    `ResetDesk is running at ${config.publicUrl}`,
    `  API docs:  ${config.publicUrl}/api/docs`,
    `  Database:  ${where}${seeded ? ' (demo data loaded)' : ''}`,
    `  Email:     ${config.mail.smtpUrl ? 'SMTP ' + new URL(config.mail.smtpUrl).host : 'dev mailbox (Dev mailbox page in the console)'}`,
  ];
  if (config.seedDemo) {
    lines.push('  Demo sign-ins (password ' + DEMO_PASSWORD + '):');
    for (const login of DEMO_LOGINS) lines.push(`    ${login.email.padEnd(24)} ${login.role}`);
  }
  console.log(lines.join('\n') + '\n');
}

void bootstrap();
