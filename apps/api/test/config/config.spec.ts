import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/app-config';

describe('configuration from the environment', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'resetdesk-config-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));
  const base = { DATA_DIR: dataDir };

  it('runs with no configuration at all: port 3000, SQLite under data/, dev mailbox, a generated secret kept for next time', () => {
    const config = loadConfig({ ...base });
    assert.equal(config.port, 3000);
    assert.equal(config.publicUrl, 'http://localhost:3000');
    assert.deepEqual(config.database, { type: 'sqlite', path: join(dataDir, 'resetdesk.sqlite') });
    assert.equal(config.mail.smtpUrl, null);
    assert.equal(config.invitationTtlHours, 72);
    assert.equal(config.seedDemo, true);
    assert.equal(config.trustProxy, 'loopback');
    assert.equal(readFileSync(join(dataDir, 'app-secret'), 'utf8').trim(), config.appSecret);
    assert.equal(loadConfig({ ...base }).appSecret, config.appSecret, 'the same secret on the next start');
  });

  it('reads a MySQL DATABASE_URL', () => {
    const config = loadConfig({ ...base, DATABASE_URL: 'mysql://app:p%40ss@db.example:3307/resetdesk' });
    assert.deepEqual(
      { ...config.database, url: undefined },
      {
        type: 'mysql',
        url: undefined,
        host: 'db.example',
        port: 3307,
        username: 'app',
        password: 'p@ss',
        database: 'resetdesk',
      },
    );
  });

  it('refuses bad values with a message naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'eighty' }, /^PORT /],
      [{ DATABASE_URL: 'postgres://x/y' }, /^DATABASE_URL /],
      [{ DATABASE_URL: 'mysql://root@localhost:3306' }, /^DATABASE_URL must name a database/],
      [{ SMTP_URL: 'http://mail' }, /^SMTP_URL /],
      [{ PUBLIC_URL: 'not a url' }, /^PUBLIC_URL /],
      [{ INVITATION_TTL_HOURS: '0' }, /^INVITATION_TTL_HOURS /],
      [{ SEED_DEMO: 'maybe' }, /^SEED_DEMO /],
      [{ APP_SECRET: 'short' }, /^APP_SECRET must be at least 32/],
      [{ NODE_ENV: 'production' }, /^APP_SECRET is required in production/],
      [{ NODE_ENV: 'production', APP_SECRET: 'a'.repeat(40) }, /^OIDC_JWKS_FILE is required in production/],
      [{ TRUST_PROXY: 'everyone; rm -rf' }, /^TRUST_PROXY /],
      [{ WEB_CONCURRENCY: 'all' }, /^WEB_CONCURRENCY /],
      [{ WEB_CONCURRENCY: '2' }, /^WEB_CONCURRENCY above 1 needs MySQL/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig({ ...base, ...env }),
        (error: unknown) => error instanceof ConfigError && message.test(error.message),
        JSON.stringify(env),
      );
    }
  });

  it('production never seeds demo data unless asked, and TRUST_PROXY accepts hop counts and subnets', () => {
    const production = loadConfig({ ...base, NODE_ENV: 'production', APP_SECRET: 'a'.repeat(40), OIDC_JWKS_FILE: '/etc/resetdesk/oidc-jwks.json' });
    assert.deepEqual(production.oidc, { jwksFile: '/etc/resetdesk/oidc-jwks.json', generate: false });
    assert.deepEqual(loadConfig({ ...base }).oidc, { jwksFile: join(dataDir, 'oidc-jwks.json'), generate: true }, 'development generates its keys into data/');
    assert.equal(production.seedDemo, false);
    assert.equal(loadConfig({ ...base, TRUST_PROXY: '1' }).trustProxy, '1');
    assert.equal(loadConfig({ ...base, TRUST_PROXY: '172.18.0.0/16, 10.0.0.5' }).trustProxy, '172.18.0.0/16, 10.0.0.5');
  });

  it('runs one API process unless WEB_CONCURRENCY asks for more, which MySQL allows', () => {
    assert.equal(loadConfig({ ...base }).webConcurrency, 1);
    assert.equal(loadConfig({ ...base, DATABASE_URL: 'mysql://app@db.example/resetdesk', WEB_CONCURRENCY: '4' }).webConcurrency, 4);
  });
});
