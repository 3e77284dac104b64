/** What the test command (test/run-tests.js) found on this machine. */
export const mysqlSkip: string | false = process.env.RESETDESK_SKIP_MYSQL || false;
export const browserSkip: string | false = process.env.RESETDESK_SKIP_BROWSER || mysqlSkip || false;
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const TEST_APP_SECRET = 'test-secret-that-is-long-enough-for-hkdf-0123456789';
