import { readFileSync } from 'node:fs';
import { newSigningKeySet } from './oidc-keys';

/**
 * Prints a new signing key set for OIDC_JWKS_FILE: `node apps/api/dist/src/oidc/oidc-keys.cli.js > oidc-jwks.json`.
 * With `--rotate <file>`, prints that set with a new key first (it signs from then on) and the old
 * keys after it (still published, so tokens they signed keep verifying until they expire).
 */
function main(): void {
  const args = process.argv.slice(2);
  const fresh = newSigningKeySet();
  if (args[0] === '--rotate' && args[1]) {
    const current = JSON.parse(readFileSync(args[1], 'utf8')) as { keys: unknown[] };
    process.stdout.write(JSON.stringify({ keys: [...fresh.keys, ...current.keys] }, null, 2) + '\n');
    return;
  }
  process.stdout.write(JSON.stringify(fresh, null, 2) + '\n');
}

main();
