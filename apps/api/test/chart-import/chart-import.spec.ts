import 'reflect-metadata';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ChartImportRequest, ChartImportService } from '../../src/chart-import/chart-import.service';
import { chartIdFor } from '../../src/chart-import/fhir-mapping';
import { ImportInput } from '../../src/chart-import/fhir-sources';
import { PatientsRepository } from '../../src/patients/patients.repository';
import { Patient } from '../../src/patients/patient.entity';
import { MAPLE_GROVE_ID, RIVERSIDE_ID } from '../support/fixtures';
import { MAPLE_DESK, StaffClient } from '../support/staff-client';
import { TestApp, startTestApp } from '../support/test-app';
import { mysqlSkip } from '../support/test-env';
import { allergy, condition, encounter, medicationRequest, medicationStatement, ndjson, observation, patient } from './fhir-fixtures';

const UUID_MRN = '6f1c0e9a-3b7d-4c55-9a0e-2d8e4f1b7c3a';
const MRN_SYSTEM = 'urn:example:clinic-mrn';

function input(fileName: string, text: string): ImportInput {
  return { fileName, stream: Readable.from([text]) };
}

/** The Bulk Data export of the tests: clinical files come first on purpose, Patients last. */
function exportFiles(overrides: { email?: string; phone?: string; conditionText?: string } = {}): ImportInput[] {
  return [
    input(
      'Condition.000.ndjson',
      ndjson([
        condition('cond-1', 'pat-uuid', overrides.conditionText ? { code: { text: overrides.conditionText } } : {}),
        'this line is not JSON',
        { id: 'no-type' },
        condition('cond-ghost', 'ghost'),
      ]),
    ),
    input('AllergyIntolerance.000.ndjson', ndjson([allergy('alg-1', 'pat-uuid')])),
    input('MedicationRequest.000.ndjson', ndjson([medicationRequest('medrq-1', 'pat-uuid')])),
    input('MedicationStatement.000.ndjson', ndjson([medicationStatement('medst-1', 'pat-noemail')])),
    input('Encounter.000.ndjson', ndjson([encounter('enc-1', 'pat-uuid'), encounter('enc-2', 'pat-noemail', false)])),
    input('Observation.000.ndjson', ndjson([observation('obs-1', 'pat-uuid')])),
    input(
      'Patient.000.ndjson',
      ndjson([
        patient({
          id: 'pat-uuid',
          mrn: UUID_MRN,
          given: ['Amara', 'Chinwe', 'Joy'],
          family: 'Okafor',
          email: overrides.email ?? 'Amara.Okafor@example.com',
          phones: [{ value: overrides.phone ?? '555-810-7203', use: 'home' }],
        }),
        patient({
          id: 'pat-noemail',
          mrn: 'MRN-0002',
          given: ['Luis'],
          family: 'Oakley',
          email: null,
          phones: [
            { value: '(555) 810 7204', use: 'work' },
            { value: '+1 555 810 7205', use: 'mobile' },
          ],
        }),
        patient({ id: 'pat-deceased', mrn: 'MRN-0003', family: 'Okoro', active: true, deceasedDateTime: '2025-12-01T08:00:00Z' }),
        patient({ id: 'pat-inactive', mrn: 'MRN-0004', family: 'Okada', active: false, phones: [{ value: '555.810.7206' }] }),
        patient({ id: 'pat-both', mrn: 'MRN-0005', family: 'Okeke', active: false, deceasedBoolean: true }),
        patient({ id: 'pat-badphone', mrn: 'MRN-0006', family: 'Oke', phones: [{ value: 'call the front desk' }] }),
        { ...patient({ id: 'pat-system', family: 'Okonkwo' }), identifier: [{ system: MRN_SYSTEM, value: 'SYS-77' }] },
        patient({ id: 'pat-nomrn', family: 'Nobody' }),
      ]),
    ),
  ];
}

describe('FHIR chart import (importer)', { skip: mysqlSkip }, () => {
  let t: TestApp;
  let importer: ChartImportService;
  const run = (request: Partial<ChartImportRequest> = {}) =>
    importer.run({ practiceId: MAPLE_GROVE_ID, source: 'cli', fileName: 'export', inputs: exportFiles(), ...request });
  const chart = async (fhirId: string) => await t.dataSource.getRepository(Patient).findOneByOrFail({ id: chartIdFor(MAPLE_GROVE_ID, fhirId) });
  const checksums = async () => {
    const patients = await t.dataSource.getRepository(Patient).findBy({ practiceId: MAPLE_GROVE_ID });
    const map = new Map<string, string>();
    for (const p of patients.filter((p) => p.fhirId?.startsWith('pat-')))
      map.set(p.fhirId!, await PatientsRepository.on(t.dataSource.manager).chartChecksum(p));
    return map;
  };

  before(async () => {
    t = await startTestApp({ seedPatients: 3, label: 'chartimp', env: { FHIR_MRN_SYSTEM: MRN_SYSTEM } });
    importer = t.app.get(ChartImportService);
  });
  after(async () => t?.close());

  let first: Awaited<ReturnType<typeof run>>;
  it('imports Patients before the resources that reference them, whatever the file order, and counts everything', async () => {
    first = await run();
    assert.equal(first.status, 'done', first.error ?? '');
    assert.deepEqual(first.counts, { patientsCreated: 7, patientsUpdated: 0, patientsUnchanged: 0, entries: 6, skipped: 1, rejected: 4 });
  });

  it('rejects bad lines with file, line (from 1), type, id and a reason, and imports the rest', () => {
    const rejects = first.rejects.map((r) => `${r.file}:${r.line} ${r.resourceType ?? '-'}/${r.resourceId ?? '-'} ${r.reason}`).sort();
    assert.deepEqual(rejects, [
      'Condition.000.ndjson:2 -/- not valid JSON',
      'Condition.000.ndjson:3 -/- no resourceType',
      'Condition.000.ndjson:4 Condition/cond-ghost patient Patient/ghost is neither in this import nor in the practice',
      'Patient.000.ndjson:8 Patient/pat-nomrn no medical record number (identifier of type MR)',
    ]);
    assert.deepEqual(
      first.warningList.map((w) => `${w.file}:${w.line} ${w.resourceId} ${w.reason}`),
      ['Patient.000.ndjson:6 pat-badphone phone "call the front desk" is not a phone number; stored without phone'],
    );
  });

  it('maps every demographic field of the contract', async () => {
    const amara = await chart('pat-uuid');
    assert.equal(amara.fhirId, 'pat-uuid');
    assert.equal(amara.mrn, UUID_MRN, 'a 36-character UUID MRN fits');
    assert.equal(amara.firstName, 'Amara', 'given[0] of the official name, not the maiden name');
    assert.equal(amara.lastName, 'Okafor');
    assert.equal(amara.dateOfBirth, '1984-07-19');
    assert.equal(amara.sex, 'female');
    assert.equal(amara.email, 'Amara.Okafor@example.com');
    assert.equal(amara.phone, '+15558107203', '555-810-7203 in E.164 with the default region');
    assert.equal(amara.phoneDigits, '15558107203');
    assert.deepEqual(
      [amara.addressLine1, amara.addressLine2, amara.city, amara.state, amara.postalCode],
      ['4417 Willow Ct', 'Apt 12', 'Portland', 'OR', '97214'],
    );
    assert.deepEqual([amara.active, amara.inactiveReason, amara.contactChangedAt], [true, null, null]);

    const luis = await chart('pat-noemail');
    assert.equal(luis.email, null, 'no email telecom: no email');
    assert.equal(luis.phone, '+15558107205', 'the mobile phone wins over the work one');
    assert.equal((await chart('pat-inactive')).phone, '+15558107206', '555.810.7206 parses too');
    assert.equal((await chart('pat-badphone')).phone, null, 'an unparseable phone is no phone, not a reject');
    assert.equal((await chart('pat-system')).mrn, 'SYS-77', 'FHIR_MRN_SYSTEM when no identifier is typed MR');

    assert.deepEqual([(await chart('pat-deceased')).active, (await chart('pat-deceased')).inactiveReason], [false, 'deceased']);
    assert.deepEqual([(await chart('pat-inactive')).active, (await chart('pat-inactive')).inactiveReason], [false, 'inactive']);
    assert.equal((await chart('pat-both')).inactiveReason, 'deceased', 'deceased wins over active: false');
  });

  it('maps each clinical type to a chart entry keyed by its resource id, with text, code, status and date', async () => {
    const rows: Record<string, unknown>[] = await t.dataSource.query(
      'SELECT e.kind, e.code, e.description, e.status, e.recordedOn, e.notes, p.fhirId FROM clinical_entries e JOIN patients p ON p.id = e.patientId WHERE e.practiceId = ? AND p.fhirId LIKE ? ORDER BY e.kind, e.description',
      [MAPLE_GROVE_ID, 'pat-%'],
    );
    assert.deepEqual(
      rows.map((r) => ({ ...r, recordedOn: String(r.recordedOn) })),
      [
        {
          kind: 'allergy',
          code: '7980',
          description: 'Penicillin G',
          status: 'active',
          recordedOn: '2020-01-09',
          notes: 'Hives as a child.',
          fhirId: 'pat-uuid',
        },
        { kind: 'encounter', code: null, description: 'ambulatory', status: 'finished', recordedOn: '2023-09-12', notes: null, fhirId: 'pat-noemail' },
        {
          kind: 'encounter',
          code: '99213',
          description: 'Office visit, established patient',
          status: 'finished',
          recordedOn: '2023-09-12',
          notes: null,
          fhirId: 'pat-uuid',
        },
        {
          kind: 'medication',
          code: null,
          description: 'Ibuprofen 400 mg as needed',
          status: 'completed',
          recordedOn: '2022-02-10',
          notes: null,
          fhirId: 'pat-noemail',
        },
        {
          kind: 'medication',
          code: '314076',
          description: 'Lisinopril 10 MG Oral Tablet',
          status: 'active',
          recordedOn: '2021-06-01',
          notes: null,
          fhirId: 'pat-uuid',
        },
        {
          kind: 'problem',
          code: '38341003',
          description: 'Essential hypertension',
          status: 'active',
          recordedOn: '2019-03-04',
          notes: null,
          fhirId: 'pat-uuid',
        },
      ],
    );
  });

  it('finds imported charts in the patient search at once (the prefix counts follow the import)', async () => {
    const desk = await StaffClient.signIn(t.server, MAPLE_DESK);
    const response = await desk.get(`/api/patients?filter=${encodeURIComponent(JSON.stringify({ q: 'Ok' }))}&range=[0,24]`);
    assert.equal(response.status, 200);
    const okNames = (response.body as { lastName: string }[]).map((p) => p.lastName).filter((n) => n.startsWith('Ok'));
    assert.ok(okNames.includes('Okafor') && okNames.includes('Okonkwo'));
    const total = Number(String(response.headers['content-range']).split('/')[1]);
    assert.equal(total, response.body.length, 'the kept total matches the rows found');
  });

  it('changes nothing when the same export is imported again: all unchanged, same checksums, no per-patient event', async () => {
    const before = await checksums();
    const [events] = await t.dataSource.query("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'chart.contact_changed'");
    const again = await run();
    assert.deepEqual(again.counts, { patientsCreated: 0, patientsUpdated: 0, patientsUnchanged: 7, entries: 6, skipped: 1, rejected: 4 });
    assert.deepEqual(await checksums(), before);
    const [eventsAfter] = await t.dataSource.query("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'chart.contact_changed'");
    assert.equal(Number(eventsAfter.n), Number(events.n));
    const imported = await t.dataSource.query("SELECT details FROM audit_events WHERE action = 'chart.imported' AND practiceId = ? ORDER BY seq", [
      MAPLE_GROVE_ID,
    ]);
    assert.equal(imported.length, 2, 'one chart.imported per import');
    assert.deepEqual(JSON.parse(imported[1].details), {
      source: 'cli',
      fileName: 'export',
      importId: again.importId,
      counts: again.counts,
    });
  });

  it('updates a changed chart: new checksum, contactChangedAt, and chart.contact_changed per field with masked values', async () => {
    const before = await checksums();
    const result = await run({
      inputs: exportFiles({ email: 'amara.new@example.org', phone: '+1 (555) 810-9999', conditionText: 'Hypertension, controlled' }),
    });
    assert.deepEqual(result.counts, { patientsCreated: 0, patientsUpdated: 1, patientsUnchanged: 6, entries: 6, skipped: 1, rejected: 4 });
    const after = await checksums();
    for (const [fhirId, sum] of before) {
      if (fhirId === 'pat-uuid') assert.notEqual(after.get(fhirId), sum, 'the changed chart has a new checksum');
      else assert.equal(after.get(fhirId), sum, `${fhirId} kept its checksum`);
    }
    const amara = await chart('pat-uuid');
    assert.equal(amara.email, 'amara.new@example.org');
    assert.equal(amara.phone, '+15558109999');
    assert.ok(amara.contactChangedAt instanceof Date);
    const events = await t.dataSource.query("SELECT patientId, details FROM audit_events WHERE action = 'chart.contact_changed' ORDER BY seq");
    assert.deepEqual(
      events.map((e: { patientId: string; details: string }) => ({ patientId: e.patientId, ...JSON.parse(e.details) })),
      [
        { patientId: amara.id, field: 'email', before: 'A***@example.com', after: 'a***@example.org', importId: result.importId },
        { patientId: amara.id, field: 'phone', before: '***-***-7203', after: '***-***-9999', importId: result.importId },
      ],
    );
  });

  it('reads a transaction Bundle whose entries name patients by urn:uuid', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:8a1d2c8e-1f6a-4e39-b0a4-5a3c8b1e9f00',
          resource: condition('b-cond', '8a1d2c8e-1f6a-4e39-b0a4-5a3c8b1e9f00', { subject: { reference: 'urn:uuid:8a1d2c8e-1f6a-4e39-b0a4-5a3c8b1e9f00' } }),
          request: { method: 'PUT' },
        },
        {
          fullUrl: 'urn:uuid:8a1d2c8e-1f6a-4e39-b0a4-5a3c8b1e9f00',
          resource: { ...patient({ id: 'x', mrn: 'B-1', family: 'Bundled' }), id: undefined },
          request: { method: 'POST', url: 'Patient' },
        },
      ],
    };
    const result = await importer.run({
      practiceId: MAPLE_GROVE_ID,
      source: 'cli',
      fileName: 'bundle.json',
      inputs: [input('bundle.json', JSON.stringify(bundle, null, 2))],
    });
    assert.deepEqual(result.counts, { patientsCreated: 1, patientsUpdated: 0, patientsUnchanged: 0, entries: 1, skipped: 0, rejected: 0 });
    assert.equal((await chart('8a1d2c8e-1f6a-4e39-b0a4-5a3c8b1e9f00')).lastName, 'Bundled');
  });

  it('keeps practices apart: the same FHIR ids in another practice are other charts, and references never cross', async () => {
    const result = await importer.run({
      practiceId: RIVERSIDE_ID,
      source: 'cli',
      fileName: 'conditions',
      inputs: [input('Condition.000.ndjson', ndjson([condition('cond-x', 'pat-uuid')]))],
    });
    assert.equal(result.counts.rejected, 1, "Maple Grove's Patient/pat-uuid is not Riverside's");
    const rs = await importer.run({ practiceId: RIVERSIDE_ID, source: 'cli', fileName: 'export', inputs: exportFiles() });
    assert.equal(rs.counts.patientsCreated, 7);
    const [row] = await t.dataSource.query("SELECT COUNT(*) AS n FROM patients WHERE fhirId = 'pat-uuid'");
    assert.equal(Number(row.n), 2);
  });

  it('writes nothing on a dry run but reports the same counts', async () => {
    const [before] = await t.dataSource.query('SELECT COUNT(*) AS n FROM patients');
    const [importsBefore] = await t.dataSource.query('SELECT COUNT(*) AS n FROM chart_imports');
    const files = exportFiles().map((f) =>
      f.fileName === 'Patient.000.ndjson' ? input(f.fileName, ndjson([patient({ id: 'dry-1', mrn: 'DRY-1', family: 'Dry' })])) : f,
    );
    const result = await run({ dryRun: true, inputs: files, practiceId: MAPLE_GROVE_ID });
    assert.equal(result.counts.patientsCreated, 1);
    const [afterRow] = await t.dataSource.query('SELECT COUNT(*) AS n FROM patients');
    const [importsAfter] = await t.dataSource.query('SELECT COUNT(*) AS n FROM chart_imports');
    assert.equal(Number(afterRow.n), Number(before.n));
    assert.equal(Number(importsAfter.n), Number(importsBefore.n));
  });
});
