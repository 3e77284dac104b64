import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { ClientKeys, makeClientKeys } from '../support/fake-fhir-server';

describe('EHR sync settings (FHIR_*)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'resetdesk-fhir-config-'));
  let keys: ClientKeys;
  let rsa: ClientKeys;
  const base = () => ({
    DATA_DIR: dir,
    FHIR_BASE_URL: 'https://ehr.example.org/fhir/r4/',
    FHIR_CLIENT_ID: 'resetdesk',
    FHIR_PRIVATE_KEY_FILE: keys.privateKeyFile,
  });
  const refused = (env: Record<string, string>, message: RegExp) =>
    assert.throws(
      () => loadConfig(env),
      (error: unknown) => error instanceof ConfigError && message.test(error.message),
      JSON.stringify(env),
    );

  before(async () => {
    keys = await makeClientKeys(dir, 'ES384');
    rsa = await makeClientKeys(dir, 'RS384');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is off without FHIR_BASE_URL, and FHIR_MRN_SYSTEM (the import's) does not turn it on", () => {
    assert.equal(loadConfig({ DATA_DIR: dir }).fhirSync, null);
    assert.equal(loadConfig({ DATA_DIR: dir, FHIR_MRN_SYSTEM: 'urn:oid:1.2.3' }).fhirSync, null);
  });

  it("reads the settings with their defaults: scopes system/*.read, no group, no schedule, the key's algorithm and thumbprint as kid", () => {
    const sync = loadConfig(base()).fhirSync!;
    assert.equal(sync.baseUrl, 'https://ehr.example.org/fhir/r4');
    assert.equal(sync.tokenUrl, null);
    assert.equal(sync.scopes, 'system/*.read');
    assert.equal(sync.groupId, null);
    assert.equal(sync.intervalMinutes, null);
    assert.equal(sync.algorithm, 'ES384');
    assert.match(sync.keyId, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(Object.keys(sync.publicJwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);

    const full = loadConfig({
      ...base(),
      FHIR_PRIVATE_KEY_FILE: rsa.privateKeyFile,
      FHIR_KEY_ID: 'key-2026',
      FHIR_TOKEN_URL: 'https://ehr.example.org/oauth2/token',
      FHIR_GROUP_ID: 'maple-grove',
      FHIR_SCOPES: 'system/Patient.rs  system/Condition.rs',
      FHIR_SYNC_INTERVAL_MINUTES: '60',
      FHIR_SYNC_PRACTICE: 'Maple Grove Family Medicine',
    }).fhirSync!;
    assert.equal(full.algorithm, 'RS384');
    assert.equal(full.keyId, 'key-2026');
    assert.equal(full.tokenUrl, 'https://ehr.example.org/oauth2/token');
    assert.equal(full.scopes, 'system/Patient.rs system/Condition.rs');
    assert.equal(full.intervalMinutes, 60);
    assert.equal(full.schedulePractice, 'Maple Grove Family Medicine');
    assert.equal(
      loadConfig({ ...base(), FHIR_BASE_URL: 'http://localhost:8080/fhir' }).fhirSync!.baseUrl,
      'http://localhost:8080/fhir',
      'plain http on this machine',
    );
  });

  it('stops start-up with a message naming the variable', () => {
    const notPem = join(dir, 'not-a-key.pem');
    writeFileSync(notPem, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n');
    const p256 = join(dir, 'p256.pem');
    writeFileSync(p256, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...base(), FHIR_PRIVATE_KEY_FILE: join(dir, 'missing.pem') }, /^FHIR_PRIVATE_KEY_FILE cannot be read: .*missing\.pem \(there is no such file\)/],
      [{ ...base(), FHIR_PRIVATE_KEY_FILE: notPem }, /^FHIR_PRIVATE_KEY_FILE is not a readable PEM private key/],
      [{ ...base(), FHIR_PRIVATE_KEY_FILE: p256 }, /^FHIR_PRIVATE_KEY_FILE holds an EC prime256v1 key: .*RS384.*ES384/],
      [{ ...base(), FHIR_PRIVATE_KEY_FILE: '' }, /^FHIR_PRIVATE_KEY_FILE is required/],
      [{ ...base(), FHIR_BASE_URL: 'http://ehr.example.org/fhir' }, /^FHIR_BASE_URL must be an https:\/\/ URL \(plain http is allowed only for localhost\)/],
      [{ ...base(), FHIR_TOKEN_URL: 'http://10.0.0.5/token' }, /^FHIR_TOKEN_URL must be an https:\/\/ URL/],
      [{ ...base(), FHIR_BASE_URL: 'not a url' }, /^FHIR_BASE_URL is not a valid URL/],
      [{ ...base(), FHIR_CLIENT_ID: '' }, /^FHIR_CLIENT_ID is required/],
      [{ ...base(), FHIR_SYNC_INTERVAL_MINUTES: 'hourly' }, /^FHIR_SYNC_INTERVAL_MINUTES must be a whole number/],
      [{ ...base(), FHIR_SYNC_INTERVAL_MINUTES: '30' }, /^FHIR_SYNC_PRACTICE is required with FHIR_SYNC_INTERVAL_MINUTES/],
      [{ ...base(), FHIR_GROUP_ID: 'a/b' }, /^FHIR_GROUP_ID must be a FHIR id/],
      [{ DATA_DIR: dir, FHIR_CLIENT_ID: 'resetdesk' }, /^FHIR_BASE_URL is required when FHIR_CLIENT_ID is set/],
    ];
    for (const [env, message] of cases) refused(env, message);
  });

  it('an unreadable key file is named with the reason', () => {
    // A folder where the key file should be: unreadable for every user, root included.
    const folder = join(dir, 'key-folder.pem');
    mkdirSync(folder, { recursive: true });
    refused({ ...base(), FHIR_PRIVATE_KEY_FILE: folder }, /^FHIR_PRIVATE_KEY_FILE cannot be read: .*\(it is a folder\)/);
  });
});
