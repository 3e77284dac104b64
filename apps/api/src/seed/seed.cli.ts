import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { buildDataSourceOptions } from '../database/data-source-options';
import { DEMO_LOGINS, DEMO_PASSWORD, seedDemo } from './demo-seed';

/**
 * `npm run seed`: migrates, then loads the demo data into an empty database.
 * `npm run seed -- --fresh` empties the database first (refused in production).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const fresh = process.argv.includes('--fresh');
  if (fresh && config.env === 'production') throw new Error('--fresh would erase a production database; refusing.');
  const dataSource = await new DataSource(buildDataSourceOptions(config.database)).initialize();
  try {
    if (fresh) {
      await dataSource.dropDatabase();
    }
    await dataSource.runMigrations({ transaction: 'each' });
    if ((await dataSource.query('SELECT COUNT(*) AS n FROM practices'))[0].n > 0) {
      console.log('The database already has data; nothing seeded. Use `npm run seed -- --fresh` to start over.');
      return;
    }
    await seedDemo(dataSource, { demoPortalUrl: config.env === 'development' ? config.publicUrl : undefined });
    console.log(`Demo data loaded. Sign in with ${DEMO_LOGINS.map((l) => l.email).join(', ')} (password ${DEMO_PASSWORD}).`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: Error) => {
  console.error(`Seeding failed: ${error.message}`);
  process.exit(1);
});
