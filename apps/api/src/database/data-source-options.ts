import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSourceOptions } from 'typeorm';
import { DatabaseConfig } from '../config/app-config';
import { ENTITIES } from './entities';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { PatientSearchIndexes1764050000000 } from './migrations/1764050000000-patient-search-indexes';
import { PatientSearchCounts1764100000000 } from './migrations/1764100000000-patient-search-counts';
import { KeyedAuditChain1765100000000 } from './migrations/1765100000000-keyed-audit-chain';
import { PatientSignInThrottle1765100100000 } from './migrations/1765100100000-patient-sign-in-throttle';
import { UsernameSkeleton1765150000000 } from './migrations/1765150000000-username-skeleton';
import { FhirSyncState1765300000000 } from './migrations/1765300000000-fhir-sync-state';
import { OpenIdProvider1765400000000 } from './migrations/1765400000000-openid-provider';
import { ChartImport1765200000000 } from './migrations/1765200000000-chart-import';
import { BackchannelLogoutChannel1765400100000 } from './migrations/1765400100000-backchannel-logout-channel';
import { StaffIdentity1765500000000 } from './migrations/1765500000000-staff-identity';

export const MIGRATIONS = [
  InitialSchema1764000000000,
  PatientSearchIndexes1764050000000,
  PatientSearchCounts1764100000000,
  KeyedAuditChain1765100000000,
  PatientSignInThrottle1765100100000,
  UsernameSkeleton1765150000000,
  ChartImport1765200000000,
  FhirSyncState1765300000000,
  OpenIdProvider1765400000000,
  BackchannelLogoutChannel1765400100000,
  StaffIdentity1765500000000,
];

/** The one place that turns configuration into TypeORM options; migrations, never synchronize. */
export function buildDataSourceOptions(db: DatabaseConfig): DataSourceOptions {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    logging: false as const,
  };
  if (db.type === 'mysql') {
    return {
      ...common,
      type: 'mysql',
      host: db.host,
      port: db.port,
      username: db.username,
      password: db.password,
      database: db.database,
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      // Dates of birth are calendar dates: keep them as 'YYYY-MM-DD' strings.
      dateStrings: ['DATE'],
      poolSize: 20,
      connectTimeout: 5000,
      extra: { enableKeepAlive: true, maxIdle: 10, idleTimeout: 60000 },
    };
  }
  mkdirSync(dirname(db.path), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: db.path,
    enableWAL: true,
    prepareDatabase: (sqlite: { pragma(sql: string): unknown }) => {
      sqlite.pragma('busy_timeout = 5000');
      sqlite.pragma('foreign_keys = ON');
    },
  };
}
