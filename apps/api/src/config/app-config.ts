import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { loadStaffSsoConfig, StaffSsoConfig, StaffSsoConfigError } from '../staff-identity/staff-sso.config';
import { FhirSyncConfig, FhirSyncConfigError, loadFhirSyncConfig } from '../ehr-sync/fhir-sync.config';

/**
 * Configuration is read once from the environment, validated per namespace and frozen.
 * Anything wrong stops start-up with a message that names the variable, so a clinic's
 * operator never finds out from a failed reset at the front desk.
 */
export interface AppConfig {
  env: 'development' | 'production' | 'test';
  port: number;
  publicUrl: string;
  dataDir: string;
  appSecret: string;
  database: DatabaseConfig;
  mail: MailConfig;
  sms: { webhookUrl: string | null };
  invitationTtlHours: number;
  session: { idleMinutes: number; absoluteHours: number };
  seedDemo: boolean;
  /** Run the outbox dispatcher inside the API process (off for `npm run worker` setups). */
  runDispatcher: boolean;
  consoleDir: string | null;
  logLevel: string;
  /** Express "trust proxy": which hops may set X-Forwarded-For, so audit IPs and throttles see the patient, not the proxy. */
  trustProxy: string;
  /** API processes sharing the port (node:cluster); more than one needs MySQL. */
  webConcurrency: number;
  /** Pulling charts from the EHR (FHIR Bulk Data); null when FHIR_BASE_URL is not set. */
  fhirSync: FhirSyncConfig | null;
  /** The OpenID Provider's signing keys (a JWKS with private keys); generated when `generate` is set and the file is missing. */
  oidc: { jwksFile: string; generate: boolean };
  chartImport: ChartImportConfig;
  /** Staff single sign-on; null when no STAFF_OIDC_* variable is set. */
  staffSso: StaffSsoConfig | null;
}

/** FHIR chart imports: how MRNs and phones are read, how big an upload may be. */
export interface ChartImportConfig {
  /** Identifier system that holds the MRN when no identifier is typed MR (FHIR_MRN_SYSTEM). */
  mrnSystem: string | null;
  /** Region for phone numbers written without a country code (PHONE_DEFAULT_REGION). */
  phoneRegion: string;
  maxMb: number;
  contactChangeWarningDays: number;
}

export type DatabaseConfig =
  { type: 'mysql'; url: string; host: string; port: number; username: string; password: string; database: string } | { type: 'sqlite'; path: string };

export interface MailConfig {
  smtpUrl: string | null;
  from: string;
  devMailboxDir: string;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function intVar(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function boolVar(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false (got "${raw}")`);
}

function urlVar(env: Env, name: string, protocols: string[]): URL | null {
  const raw = env[name];
  if (raw === undefined || raw === '') return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL (got "${redact(raw)}")`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => p + '//').join(' or ')}`);
  }
  return url;
}

function redact(raw: string): string {
  return raw.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}

export function parseDatabaseUrl(raw: string, name = 'DATABASE_URL'): DatabaseConfig {
  const url = urlVar({ [name]: raw }, name, ['mysql:', 'mariadb:']);
  if (!url) throw new ConfigError(`${name} is empty`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new ConfigError(`${name} must name a database, e.g. mysql://user:pass@host:3306/resetdesk`);
  return {
    type: 'mysql',
    url: raw,
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    username: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    database,
  };
}

/** Development keeps a generated secret in data/ so links stay valid across restarts. */
function resolveAppSecret(env: Env, appEnv: AppConfig['env'], dataDir: string): string {
  const given = env.APP_SECRET;
  if (given) {
    if (given.length < 32) throw new ConfigError('APP_SECRET must be at least 32 characters');
    return given;
  }
  if (appEnv === 'production') {
    throw new ConfigError('APP_SECRET is required in production (at least 32 random characters)');
  }
  const file = resolve(dataDir, 'app-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): AppConfig {
  const nodeEnv = env.NODE_ENV ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnv)) {
    throw new ConfigError(`NODE_ENV must be development, production or test (got "${nodeEnv}")`);
  }
  const appEnv = nodeEnv as AppConfig['env'];
  const port = intVar(env, 'PORT', 3000, 0, 65535);
  const dataDirRaw = env.DATA_DIR || 'data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);

  const publicUrlVar = urlVar(env, 'PUBLIC_URL', ['http:', 'https:']);
  const publicUrl = (publicUrlVar ? publicUrlVar.toString() : `http://localhost:${port}`).replace(/\/$/, '');

  const database: DatabaseConfig = env.DATABASE_URL ? parseDatabaseUrl(env.DATABASE_URL) : { type: 'sqlite', path: resolve(dataDir, 'resetdesk.sqlite') };

  const smtp = urlVar(env, 'SMTP_URL', ['smtp:', 'smtps:']);
  const sms = urlVar(env, 'SMS_WEBHOOK_URL', ['http:', 'https:']);

  const from = env.MAIL_FROM || 'ResetDesk <notifications@resetdesk.local>';
  if (!/<?[^\s@<>]+@[^\s@<>]+>?\s*$/.test(from)) {
    throw new ConfigError(`MAIL_FROM must contain an email address (got "${from}")`);
  }

  const consoleDirRaw = env.CONSOLE_DIR;
  const defaultConsoleDir = resolve(__dirname, '../../../../console/dist');
  const consoleDir = consoleDirRaw ? resolve(cwd, consoleDirRaw) : existsSync(defaultConsoleDir) ? defaultConsoleDir : null;

  const webConcurrency = intVar(env, 'WEB_CONCURRENCY', 1, 1, 64);
  if (webConcurrency > 1 && database.type !== 'mysql') {
    throw new ConfigError('WEB_CONCURRENCY above 1 needs MySQL (DATABASE_URL=mysql://…): the embedded SQLite database serves one process');
  }

  return Object.freeze({
    env: appEnv,
    port,
    publicUrl,
    dataDir,
    appSecret: resolveAppSecret(env, appEnv, dataDir),
    database,
    mail: { smtpUrl: smtp ? smtp.toString() : null, from, devMailboxDir: resolve(dataDir, 'mailbox') },
    sms: { webhookUrl: sms ? sms.toString() : null },
    invitationTtlHours: intVar(env, 'INVITATION_TTL_HOURS', 72, 1, 24 * 30),
    session: {
      idleMinutes: intVar(env, 'SESSION_IDLE_MINUTES', 15, 1, 24 * 60),
      absoluteHours: intVar(env, 'SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 7),
    },
    seedDemo: boolVar(env, 'SEED_DEMO') ?? appEnv !== 'production',
    runDispatcher: boolVar(env, 'RUN_DISPATCHER') ?? true,
    consoleDir,
    logLevel: env.LOG_LEVEL || (appEnv === 'test' ? 'silent' : 'info'),
    trustProxy: trustProxyVar(env),
    webConcurrency,
    fhirSync: fhirSyncVars(env, cwd),
    oidc: oidcKeysVar(env, appEnv, dataDir, cwd),
    chartImport: chartImportConfig(env),
    staffSso: staffSsoVars(env),
  });
}

function staffSsoVars(env: Env): StaffSsoConfig | null {
  try {
    return loadStaffSsoConfig(env);
  } catch (error) {
    if (error instanceof StaffSsoConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

function fhirSyncVars(env: Env, cwd: string): FhirSyncConfig | null {
  try {
    return loadFhirSyncConfig(env, cwd);
  } catch (error) {
    if (error instanceof FhirSyncConfigError) throw new ConfigError(error.message);
    throw error;
  }
}

/** Production signs with keys the operator made and keeps; development generates them into data/. */
function oidcKeysVar(env: Env, appEnv: AppConfig['env'], dataDir: string, cwd: string): AppConfig['oidc'] {
  const given = env.OIDC_JWKS_FILE;
  if (given) return { jwksFile: resolve(cwd, given), generate: false };
  if (appEnv === 'production') {
    throw new ConfigError('OIDC_JWKS_FILE is required in production: the path of a JSON Web Key Set with the private signing keys (see README)');
  }
  return { jwksFile: resolve(dataDir, 'oidc-jwks.json'), generate: true };
}

function chartImportConfig(env: Env): ChartImportConfig {
  const phoneRegion = (env.PHONE_DEFAULT_REGION || 'US').trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(phoneRegion)) throw new ConfigError(`PHONE_DEFAULT_REGION must be a two-letter country code such as US (got "${phoneRegion}")`);
  return {
    mrnSystem: env.FHIR_MRN_SYSTEM?.trim() || null,
    phoneRegion,
    maxMb: intVar(env, 'IMPORT_MAX_MB', 512, 1, 1024 * 1024),
    contactChangeWarningDays: intVar(env, 'CONTACT_CHANGE_WARNING_DAYS', 14, 0, 3650),
  };
}

/** `loopback` (default), a comma-separated list of addresses/subnets, or a hop count. */
function trustProxyVar(env: Env): string {
  const raw = (env.TRUST_PROXY ?? '').trim();
  if (!raw) return 'loopback';
  if (/^\d+$/.test(raw) || /^[0-9a-fA-F:.,/\s]+$/.test(raw) || /^(loopback|linklocal|uniquelocal)(\s*,\s*(loopback|linklocal|uniquelocal))*$/.test(raw))
    return raw;
  throw new ConfigError(`TRUST_PROXY must be loopback, linklocal, uniquelocal, a hop count or addresses/subnets like 172.18.0.0/16 (got "${raw}")`);
}

export const APP_CONFIG = Symbol('APP_CONFIG');
