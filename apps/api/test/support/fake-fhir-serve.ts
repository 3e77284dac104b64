import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { FakeFhirServer, condition, makeClientKeys, patient } from './fake-fhir-server';

/**
 * The tests' fake EHR on its own, to try `npm run sync:fhir` by hand:
 *   npm run build && node apps/api/dist/test/support/fake-fhir-serve.js
 * prints the FHIR_* settings to use. Each `u` + Enter changes a chart, so the next sync has a change to fetch.
 */
async function main(): Promise<void> {
  const dir = resolve(process.argv[2] ?? 'data/fake-ehr');
  mkdirSync(dir, { recursive: true });
  const keys = await makeClientKeys(dir, 'ES384', 'resetdesk-demo');
  const fhir = await new FakeFhirServer().start();
  fhir.register('resetdesk-demo', keys.jwks);
  fhir.clock = new Date().toISOString();
  for (let i = 1; i <= 25; i++) fhir.put(patient(`ehr-${i}`), condition(`ehr-cond-${i}`, `ehr-${i}`));
  console.log(`Fake EHR at ${fhir.baseUrl} with 25 patients. Sync with:

FHIR_BASE_URL=${fhir.baseUrl} FHIR_CLIENT_ID=resetdesk-demo FHIR_PRIVATE_KEY_FILE=${keys.privateKeyFile} FHIR_KEY_ID=${keys.kid} npm run sync:fhir -- --practice "Maple Grove Family Medicine"

Type u + Enter to change a chart's email (the next sync fetches just that); Ctrl-C stops.`);
  let n = 0;
  process.stdin.on('data', (data) => {
    if (!String(data).trim().startsWith('u')) return;
    fhir.clock = new Date().toISOString();
    n++;
    fhir.put(patient(`ehr-${n}`, { telecom: [{ system: 'email', value: `changed-${n}@example.org` }], meta: { lastUpdated: fhir.clock } }));
    console.log(`Patient/ehr-${n} now has email changed-${n}@example.org`);
  });
}

void main();
