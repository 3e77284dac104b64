import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, beforeEach, describe, it } from 'node:test';
import { BulkExportClient, EXPORT_TYPES } from '../../src/ehr-sync/bulk-export-client';
import { FhirSyncError } from '../../src/ehr-sync/fhir-http';
import { FhirSyncConfig, loadFhirSyncConfig } from '../../src/ehr-sync/fhir-sync.config';
import { SmartBackendClient } from '../../src/ehr-sync/smart-backend-client';
import { ClientKeys, FakeFhirServer, condition, makeClientKeys, patient } from '../support/fake-fhir-server';
import { freePort } from '../support/free-port';

const CLIENT_ID = 'resetdesk-maple-grove';

describe('SMART Backend Services and Bulk Data clients against a fake EHR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'resetdesk-fhir-'));
  let fhir: FakeFhirServer;
  let keys: ClientKeys;
  let rsaKeys: ClientKeys;

  const configFor = (env: Record<string, string> = {}): FhirSyncConfig =>
    loadFhirSyncConfig({ FHIR_BASE_URL: fhir.baseUrl, FHIR_CLIENT_ID: CLIENT_ID, FHIR_PRIVATE_KEY_FILE: keys.privateKeyFile, FHIR_KEY_ID: keys.kid, ...env })!;

  const refusal = async (promise: Promise<unknown>): Promise<FhirSyncError> => {
    const error = await promise.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof FhirSyncError, String(error));
    return error;
  };

  before(async () => {
    fhir = await new FakeFhirServer().start();
    keys = await makeClientKeys(dir, 'ES384');
    rsaKeys = await makeClientKeys(dir, 'RS384');
    fhir.register(CLIENT_ID, { keys: [...keys.jwks.keys, ...rsaKeys.jwks.keys] });
  });
  after(async () => {
    await fhir.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fhir.clear();
    fhir.resources = [];
    fhir.exportErrors = [];
    fhir.throttleStatusPolls = 0;
    fhir.retryAfterSeconds = 0;
    fhir.pollsBeforeReady = 1;
    fhir.requiresAccessToken = true;
  });

  describe('the token', () => {
    it('is asked for with a client assertion the EHR verifies: ES384, kid, iss = sub = client id, aud = token URL, exp within 5 minutes, a fresh jti', async () => {
      const smart = new SmartBackendClient(configFor());
      const before = fhir.tokenRequests.length;
      const token = await smart.accessToken();
      assert.ok(fhir.issuedTokens.has(token));
      const seen = fhir.tokenRequests.slice(before);
      assert.equal(seen.length, 1);
      assert.equal(seen[0].ok, true, seen[0].reason);
      assert.deepEqual(seen[0].header, { alg: 'ES384', kid: keys.kid, typ: 'JWT' });
      const claims = seen[0].assertionClaims!;
      assert.equal(claims.iss, CLIENT_ID);
      assert.equal(claims.sub, CLIENT_ID);
      assert.equal(claims.aud, fhir.tokenUrl, 'the token endpoint found through .well-known/smart-configuration');
      assert.ok((claims.exp as number) <= Math.floor(Date.now() / 1000) + 300);
      assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
    });

    it('signs with RS384 when the key is RSA', async () => {
      const smart = new SmartBackendClient(configFor({ FHIR_PRIVATE_KEY_FILE: rsaKeys.privateKeyFile, FHIR_KEY_ID: rsaKeys.kid }));
      await smart.accessToken();
      assert.equal(fhir.tokenRequests.at(-1)!.header!.alg, 'RS384');
    });

    it('is kept until shortly before it expires, and asked for again once refused (a new jti each time)', async () => {
      let now = Date.now();
      const smart = new SmartBackendClient(configFor(), () => now, Date.now);
      const before = fhir.tokenRequests.length;
      const first = await smart.accessToken();
      assert.equal(await smart.accessToken(), first, 'cached');
      now += 250_000; // 50 s before the 300 s lifetime ends: inside the refresh margin
      const second = await smart.accessToken();
      assert.notEqual(second, first);
      smart.invalidate(second);
      const third = await smart.accessToken();
      assert.notEqual(third, second);
      const jtis = fhir.tokenRequests.slice(before).map((r) => r.assertionClaims!.jti);
      assert.equal(new Set(jtis).size, 3);
    });

    it('a replayed assertion (same jti) is refused by the EHR', async () => {
      const smart = new SmartBackendClient(configFor());
      const assertion = await smart.clientAssertion(fhir.tokenUrl);
      const post = () =>
        fetch(fhir.tokenUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            scope: 'system/*.read',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
          }),
        });
      assert.equal((await post()).status, 200);
      const replay = await post();
      assert.equal(replay.status, 401);
      assert.match(((await replay.json()) as { error_description: string }).error_description, /jti has already been used/);
    });

    it('refused: the message says which cause, and what to check', async () => {
      const wrongClient = await refusal(new SmartBackendClient(configFor({ FHIR_CLIENT_ID: 'someone-else' })).accessToken());
      assert.equal(wrongClient.failure, 'token_refused');
      assert.match(
        wrongClient.message,
        /^The EHR refused the token request \(invalid_client: .*not registered.*\): wrong client id: .*FHIR_CLIENT_ID "someone-else"/,
      );

      const stranger = await makeClientKeys(dir, 'ES384', keys.kid + '-x');
      const sameKidOtherKey = join(dir, 'other.pem');
      writeFileSync(sameKidOtherKey, stranger.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
      const badKey = await refusal(new SmartBackendClient(configFor({ FHIR_PRIVATE_KEY_FILE: sameKidOtherKey })).accessToken());
      assert.match(badKey.message, /signature did not verify.*: bad key: .*FHIR_PRIVATE_KEY_FILE with kid/);

      const skewed = await refusal(new SmartBackendClient(configFor(), () => Date.now() - 10 * 60_000).accessToken());
      assert.match(skewed.message, /expired.*: clock skew: .*set this machine's clock right/);

      const badScope = await refusal(new SmartBackendClient(configFor({ FHIR_SCOPES: 'user/*.read' })).accessToken());
      assert.match(badScope.message, /FHIR_SCOPES "user\/\*\.read"/);
    });

    it('an unreachable server or token endpoint is named as such', async () => {
      const port = await freePort();
      const down = await refusal(new SmartBackendClient(configFor({ FHIR_BASE_URL: `http://127.0.0.1:${port}/fhir` })).accessToken());
      assert.equal(down.failure, 'unreachable');
      assert.match(down.message, /Could not reach the FHIR server for the SMART configuration: connection refused \(127\.0\.0\.1:\d+\); check FHIR_BASE_URL/);

      fhir.fail('discovery', { status: 404 });
      const noDiscovery = await refusal(new SmartBackendClient(configFor()).accessToken());
      assert.match(noDiscovery.message, /smart-configuration \(404 Not Found\); set FHIR_TOKEN_URL/);
      fhir.clear('discovery');
    });
  });

  describe('the export', () => {
    const client = (env: Record<string, string> = {}, limits = {}) => {
      const config = configFor(env);
      return new BulkExportClient(config, new SmartBackendClient(config), { limits: { defaultPollMs: 0, ...limits } });
    };

    it('kicks off with the six imported types, _since, Accept and Prefer, at the group or at Patient', async () => {
      await client({ FHIR_GROUP_ID: 'maple-grove' }).kickOff('2026-11-30T08:00:00.000Z');
      const seen = fhir.exportRequests.at(-1)!;
      assert.equal(seen.path, '/Group/maple-grove/$export');
      assert.deepEqual(seen.query, { _type: EXPORT_TYPES.join(','), _since: '2026-11-30T08:00:00.000Z' });
      assert.equal(seen.query._type, 'Patient,AllergyIntolerance,Condition,MedicationRequest,MedicationStatement,Encounter');
      assert.equal(seen.accept, 'application/fhir+json');
      assert.equal(seen.prefer, 'respond-async');
      assert.match(seen.authorization ?? '', /^Bearer /);

      await client().kickOff(null);
      assert.equal(fhir.exportRequests.at(-1)!.path, '/Patient/$export');
      assert.deepEqual(fhir.exportRequests.at(-1)!.query, { _type: EXPORT_TYPES.join(',') });
    });

    it('waits as long as Retry-After says before polling again', async () => {
      fhir.retryAfterSeconds = 1;
      fhir.pollsBeforeReady = 1;
      fhir.put(patient('p1'));
      const bulk = client();
      const status = await bulk.kickOff(null);
      const before = fhir.statusPolls.length;
      const manifest = await bulk.waitForManifest(status);
      const polls = fhir.statusPolls.slice(before);
      assert.deepEqual(
        polls.map((p) => p.status),
        [202, 200],
      );
      assert.ok(polls[1].at - polls[0].at >= 1000, `polled again after ${polls[1].at - polls[0].at} ms`);
      assert.equal(manifest.transactionTime, fhir.clock);
      assert.deepEqual(
        manifest.output.map((f) => f.type),
        ['Patient'],
      );
    });

    it('rides out a storm of 429s, and gives up with a reason when it does not end', async () => {
      fhir.throttleStatusPolls = 12;
      const bulk = client();
      const manifest = await bulk.waitForManifest(await bulk.kickOff(null));
      assert.equal(manifest.requiresAccessToken, true);

      fhir.throttleStatusPolls = 1000;
      const capped = client({}, { max429InARow: 5 });
      const error = await refusal(capped.waitForManifest(await capped.kickOff(null)));
      assert.equal(error.failure, 'rate_limited');
      assert.match(error.message, /kept answering 429 Too Many Requests to the export status \(6 times in a row\)/);
    });

    it('downloads with the token when the manifest requires it, and asks for a new token once on a 401', async () => {
      fhir.put(patient('p1'), condition('c1', 'p1'));
      const bulk = client();
      const manifest = await bulk.waitForManifest(await bulk.kickOff(null));
      fhir.revokeTokens();
      const tokensBefore = fhir.tokenRequests.length;
      const text = (await readAll(await bulk.openFile(manifest.output[0], manifest.requiresAccessToken))).toString();
      assert.equal(fhir.tokenRequests.length, tokensBefore + 1, 'one fresh token after the 401');
      assert.deepEqual(
        fhir.downloads.slice(-2).map((d) => d.status),
        [401, 200],
      );
      assert.match(fhir.downloads.at(-1)!.authorization ?? '', /^Bearer /);
      assert.equal(text.trim().split('\n').length, 1);
    });

    it('never sends the access token to another host, whatever the manifest says', async () => {
      fhir.put(patient('p1'));
      fhir.fileBaseUrl = 'http://localhost:9/elsewhere';
      try {
        const bulk = client();
        const manifest = await bulk.waitForManifest(await bulk.kickOff(null));
        const downloads = fhir.downloads.length;
        const error = await refusal(bulk.openFile(manifest.output[0], true));
        assert.equal(error.failure, 'download');
        assert.match(
          error.message,
          /at another address \(http:\/\/localhost:9\) with the access token; ResetDesk sends its token only to FHIR_BASE_URL's http:\/\/127\.0\.0\.1:\d+/,
        );
        assert.equal(fhir.downloads.length, downloads, 'nothing was requested');
      } finally {
        fhir.fileBaseUrl = null;
      }
    });

    it('a download cut mid-file fails the stream, never ends it quietly', async () => {
      fhir.put(patient('p1'), patient('p2'), patient('p3'));
      fhir.cutDownloads.set('Patient', 1);
      const bulk = client();
      const manifest = await bulk.waitForManifest(await bulk.kickOff(null));
      const error = await refusal(readAll(await bulk.openFile(manifest.output[0], true)));
      assert.equal(error.failure, 'cut_off');
      assert.match(error.message, /^The download of Patient\.000\.ndjson was cut off after \d+ of \d+ bytes/);
    });

    it('a download that stalls mid-file ends as cut off once nothing has arrived for FHIR_REQUEST_TIMEOUT_SECONDS', async () => {
      fhir.put(patient('p1'), patient('p2'));
      fhir.stallDownloads.add('Patient');
      try {
        const bulk = client({ FHIR_REQUEST_TIMEOUT_SECONDS: '1' });
        const manifest = await bulk.waitForManifest(await bulk.kickOff(null));
        const error = await refusal(readAll(await bulk.openFile(manifest.output[0], true)));
        assert.equal(error.failure, 'cut_off');
        assert.match(error.message, /^The download of Patient\.000\.ndjson was cut off after \d+ of \d+ bytes \(nothing arrived for 1 s\)$/);
      } finally {
        fhir.stallDownloads.clear();
      }
    });

    it("a failed kick-off says the status, the server's diagnostics and what to check", async () => {
      fhir.fail('kickoff', {
        status: 404,
        body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'Group/nope not found' }] },
      });
      const error = await refusal(client({ FHIR_GROUP_ID: 'nope' }).kickOff(null));
      assert.equal(error.failure, 'kickoff');
      assert.equal(
        error.message,
        'The FHIR server refused the export request (404 Not Found: Group/nope not found); check FHIR_GROUP_ID "nope" and that the server supports Bulk Data $export',
      );
    });

    it('a server that does not answer in time is a timeout naming the variable', async () => {
      let release!: () => void;
      fhir.holdKickOff = new Promise((resolve) => (release = resolve));
      try {
        const error = await refusal(client({ FHIR_REQUEST_TIMEOUT_SECONDS: '1' }).kickOff(null));
        assert.equal(error.failure, 'timeout');
        assert.match(error.message, /did not answer the export kick-off within 1 s .*FHIR_REQUEST_TIMEOUT_SECONDS/);
      } finally {
        release();
        fhir.holdKickOff = null;
      }
    });
  });
});

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
