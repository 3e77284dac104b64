import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSigningKeySet } from '../../src/oidc/oidc-keys';

/** A signing key set on disk, for starting the app as production does (OIDC_JWKS_FILE). */
export function writeTestJwksFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'resetdesk-jwks-')), 'oidc-jwks.json');
  writeFileSync(file, JSON.stringify(newSigningKeySet()), { mode: 0o600 });
  return file;
}
