#!/usr/bin/env node
/*
 * The API's test command. It looks for the real parts the suite needs (MySQL/MariaDB, Chromium),
 * says plainly what is missing, and skips those parts on a laptop; under CI=true anything
 * missing is a failure, never a skip. Then it runs every compiled *.spec.js with node's test runner.
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

(async () => {
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

  const root = join(__dirname, '..');
  const filter = process.argv.slice(2);
  const files = specFiles(join(root, 'dist', 'test'))
    .filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)))
    .sort();
  if (files.length === 0) {
    console.error('No compiled test files found under apps/api/dist/test. Run "npm run build" first.');
    process.exit(1);
  }
  console.log(`Running ${files.length} test files: ${files.map((f) => relative(root, f)).join(', ')}`);
  const result = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY || 2}`, '--test-timeout=600000', ...files],
    { stdio: 'inherit', env, cwd: root },
  );
  process.exit(result.status ?? 1);
})();
