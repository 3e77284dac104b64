#!/usr/bin/env node
/*
 * The API's test command. It looks for the real parts the suite needs (MySQL/MariaDB, Chromium),
 * says plainly what is missing, and skips those parts on a laptop; under CI=true anything
 * missing is a failure, never a skip. Then it runs every compiled *.spec.js with node's test runner.
 *
 * The fast tier (test/unit: pure functions, no database, no browser) runs first and stops the
 * run if it fails. `--unit` runs only that tier and probes nothing, so it needs no MySQL.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');
const mysql = require('mysql2/promise');

const ci = /^(1|true)$/i.test(process.env.CI || '');
const mysqlUrl = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
const chromium = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

async function probeMysql() {
  try {
    const connection = await mysql.createConnection({ uri: mysqlUrl, connectTimeout: 3000 });
    const [rows] = await connection.query('SELECT VERSION() AS v');
    await connection.end();
    return { ok: true, version: rows[0].v };
  } catch (error) {
    return { ok: false, why: error.message };
  }
}

function specFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return specFiles(path);
    return name.endsWith('.spec.js') ? [path] : [];
  });
}

function runSpecs(root, files, env) {
  const result = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY || 2}`, '--test-timeout=600000', ...files],
    { stdio: 'inherit', env, cwd: root },
  );
  return result.status ?? 1;
}

(async () => {
  const root = join(__dirname, '..');
  const args = process.argv.slice(2);
  const unitOnly = args.includes('--unit');
  const filter = args.filter((arg) => arg !== '--unit');
  const matches = (file) => filter.length === 0 || filter.some((f) => file.includes(f));
  const compiled = join(root, 'dist', 'test');
  const unitDir = join(compiled, 'unit');
  const unitFiles = specFiles(unitDir).filter(matches).sort();
  const otherFiles = unitOnly
    ? []
    : specFiles(compiled)
        .filter((file) => !file.startsWith(unitDir + '/'))
        .filter(matches)
        .sort();
  if (unitFiles.length + otherFiles.length === 0) {
    console.error('No compiled test files found under apps/api/dist/test. Run "npm run build" first.');
    process.exit(1);
  }

  if (unitFiles.length) {
    console.log(`Fast tier: ${unitFiles.length} unit test files (no database)`);
    const status = runSpecs(root, unitFiles, { ...process.env, NODE_ENV: 'test', RESETDESK_SKIP_MYSQL: 'unit tier', RESETDESK_SKIP_BROWSER: 'unit tier' });
    if (status !== 0) {
      console.error('The fast tier failed; the database and browser tests were not run.');
      process.exit(status);
    }
  }
  if (!otherFiles.length) process.exit(0);

  const env = { ...process.env, NODE_ENV: 'test', TEST_MYSQL_URL: mysqlUrl };
  const missing = [];

  const db = await probeMysql();
  if (db.ok) {
    console.log(`MySQL: ${db.version} at ${mysqlUrl.replace(/\/\/[^@]*@/, '//***@')}`);
  } else {
    missing.push(`MySQL/MariaDB is not reachable at ${mysqlUrl} (${db.why}); start it (e.g. "service mariadb start") or set TEST_MYSQL_URL`);
    env.RESETDESK_SKIP_MYSQL = 'MySQL is not reachable';
  }
  if (existsSync(chromium)) {
    console.log(`Chromium: ${chromium}`);
  } else {
    missing.push(`Chromium is not installed at ${chromium} ("apt-get install -y chromium"), so the browser tests cannot run`);
    env.RESETDESK_SKIP_BROWSER = 'Chromium is not installed';
  }
  if (missing.length) {
    for (const line of missing) console.log(`${ci ? 'MISSING' : 'SKIPPING'}: ${line}`);
    if (ci) {
      console.error('CI=true: a missing part is a failure, not a skip.');
      process.exit(1);
    }
  }

  console.log(`Running ${otherFiles.length} test files: ${otherFiles.map((f) => relative(root, f)).join(', ')}`);
  process.exit(runSpecs(root, otherFiles, env));
})();
