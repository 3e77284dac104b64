/**
 * FHIR R4 resources shaped like real EHR exports: UUID MRNs, charts without email, phones in
 * many spellings, deceased and inactive patients, several given names and a maiden name.
 */
export const MR_TYPE = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical record number' }] };

export interface PatientShape {
  id: string;
  mrn?: string;
  given?: string[];
  family?: string;
  birthDate?: string;
  gender?: string;
  email?: string | null;
  phones?: { value: string; use?: string }[];
  active?: boolean;
  deceasedBoolean?: boolean;
  deceasedDateTime?: string;
}

export function patient(shape: PatientShape): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    id: shape.id,
    meta: { lastUpdated: '2026-11-02T10:15:00.000Z' },
    identifier: [
      { system: 'urn:oid:2.16.840.1.113883.4.1', value: '999-00-1234' },
      ...(shape.mrn === undefined ? [] : [{ use: 'usual', type: MR_TYPE, system: 'urn:oid:1.2.36.146.595.217.0.1', value: shape.mrn }]),
    ],
    ...(shape.active === undefined ? {} : { active: shape.active }),
    name: [
      { use: 'maiden', family: 'Maidenname', given: ['Should', 'Not'] },
      { use: 'official', family: shape.family ?? 'Okafor', given: shape.given ?? ['Amara', 'Chinwe', 'Joy'] },
    ],
    telecom: [
      ...(shape.phones ?? [{ value: '555-810-7203', use: 'home' }]).map((p) => ({ system: 'phone', value: p.value, ...(p.use ? { use: p.use } : {}) })),
      ...(shape.email ? [{ system: 'email', value: shape.email, use: 'home' }] : []),
    ],
    gender: shape.gender ?? 'female',
    birthDate: shape.birthDate ?? '1984-07-19',
    ...(shape.deceasedBoolean === undefined ? {} : { deceasedBoolean: shape.deceasedBoolean }),
    ...(shape.deceasedDateTime === undefined ? {} : { deceasedDateTime: shape.deceasedDateTime }),
    address: [
      { use: 'old', line: ['1 Old Rd'], city: 'Nowhere', state: 'OR', postalCode: '00000' },
      { use: 'home', line: ['4417 Willow Ct', 'Apt 12'], city: 'Portland', state: 'OR', postalCode: '97214' },
    ],
  };
}

export const ref = (patientId: string) => ({ reference: `Patient/${patientId}` });

export function condition(id: string, patientId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Condition',
    id,
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertensive disorder' }], text: 'Essential hypertension' },
    subject: ref(patientId),
    onsetDateTime: '2019-03-04T00:00:00Z',
    recordedDate: '2019-03-05',
    ...extra,
  };
}

export function allergy(id: string, patientId: string): Record<string, unknown> {
  return {
    resourceType: 'AllergyIntolerance',
    id,
    clinicalStatus: { coding: [{ code: 'active' }] },
    code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '7980', display: 'Penicillin G' }] },
    patient: ref(patientId),
    recordedDate: '2020-01-09T14:00:00-05:00',
    note: [{ text: 'Hives as a child.' }],
  };
}

export function medicationRequest(id: string, patientId: string): Record<string, unknown> {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '314076', display: 'Lisinopril 10 MG Oral Tablet' }] },
    subject: ref(patientId),
    authoredOn: '2021-06-01',
  };
}

export function medicationStatement(id: string, patientId: string): Record<string, unknown> {
  return {
    resourceType: 'MedicationStatement',
    id,
    status: 'completed',
    medicationCodeableConcept: { text: 'Ibuprofen 400 mg as needed' },
    subject: ref(patientId),
    effectivePeriod: { start: '2022-02-10', end: '2022-02-20' },
  };
}

export function encounter(id: string, patientId: string, withType = true): Record<string, unknown> {
  return {
    resourceType: 'Encounter',
    id,
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
    ...(withType ? { type: [{ coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '99213', display: 'Office visit, established patient' }] }] } : {}),
    subject: ref(patientId),
    period: { start: '2023-09-12T09:30:00-07:00', end: '2023-09-12T09:50:00-07:00' },
  };
}

export function observation(id: string, patientId: string): Record<string, unknown> {
  return { resourceType: 'Observation', id, status: 'final', code: { text: 'Body weight' }, subject: ref(patientId), valueQuantity: { value: 72, unit: 'kg' } };
}

export const ndjson = (resources: unknown[]): string => resources.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n';
