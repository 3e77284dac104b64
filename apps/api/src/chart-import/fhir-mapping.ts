/// <reference types="fhir" />
import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { ClinicalEntryKind } from '@resetdesk/contracts';
import type { PatientInactiveReason } from '../patients/patient.entity';

/*
 * FHIR R4 shapes. `@types/fhir` describes STU3; R4 renamed or added a few fields the mapping
 * reads (recordedDate, MedicationStatement's effective period, the Encounter class as a Coding),
 * which are declared here on top of its types.
 */
export type FhirResource = { resourceType: string; id?: string; [key: string]: unknown };
type R4Patient = fhir.Patient;
type R4Allergy = fhir.AllergyIntolerance & { recordedDate?: string };
type R4Condition = fhir.Condition & { recordedDate?: string };
type R4MedicationRequest = fhir.MedicationRequest;
type R4MedicationStatement = fhir.MedicationStatement;
type R4Encounter = Omit<fhir.Encounter, 'class'> & { class?: fhir.Coding };

/** The chart columns a Patient resource sets, in the order the import compares them. */
export interface MappedPatient {
  fhirId: string;
  mrn: string;
  firstName: string;
  lastName: string;
  dateOfBirth: string;
  sex: string;
  email: string | null;
  phone: string | null;
  phoneDigits: string | null;
  addressLine1: string | null;
  addressLine2: string | null;
  city: string | null;
  state: string | null;
  postalCode: string | null;
  active: boolean;
  inactiveReason: PatientInactiveReason | null;
}

export const MAPPED_PATIENT_FIELDS = [
  'mrn',
  'firstName',
  'lastName',
  'dateOfBirth',
  'sex',
  'email',
  'phone',
  'phoneDigits',
  'addressLine1',
  'addressLine2',
  'city',
  'state',
  'postalCode',
  'active',
  'inactiveReason',
] as const satisfies readonly (keyof MappedPatient)[];

export interface MappedEntry {
  /** `<resourceType>/<id>`: the entry's identity within the practice. */
  fhirKey: string;
  patientFhirId: string;
  kind: ClinicalEntryKind;
  code: string | null;
  description: string;
  status: string;
  recordedOn: string;
  notes: string | null;
}

export const MAPPED_ENTRY_FIELDS = ['patientFhirId', 'kind', 'code', 'description', 'status', 'recordedOn', 'notes'] as const;

export interface MappingOptions {
  mrnSystem: string | null;
  phoneRegion: string;
}

export type MapResult<T> = { ok: true; value: T; warnings: string[] } | { ok: false; reason: string };

/** The resource types that become chart entries; every other type is counted as skipped. */
export const ENTRY_TYPES: Record<string, ClinicalEntryKind> = {
  AllergyIntolerance: 'allergy',
  Condition: 'problem',
  MedicationRequest: 'medication',
  MedicationStatement: 'medication',
  Encounter: 'encounter',
};

const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const FULL_DATE = /^(\d{4}-\d{2}-\d{2})/;

/**
 * A chart's row id, derived from the practice and its FHIR id: the same Patient imported again
 * lands on the same row, and a resource referencing `Patient/x` knows its chart without a lookup.
 */
export function chartIdFor(practiceId: string, patientFhirId: string): string {
  return derivedId('patient', practiceId, patientFhirId);
}

export function entryIdFor(practiceId: string, fhirKey: string): string {
  return derivedId('entry', practiceId, fhirKey);
}

function derivedId(kind: string, practiceId: string, key: string): string {
  const hex = createHash('sha256').update(`fhir:${kind}:${practiceId}:${key}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Cut by code points, so a string never ends in half a surrogate pair. */
function cut(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = String(value).trim();
  if (!trimmed) return null;
  return trimmed.length <= max ? trimmed : Array.from(trimmed).slice(0, max).join('');
}

export function mapPatient(resource: FhirResource, options: MappingOptions): MapResult<MappedPatient> {
  const patient = resource as unknown as R4Patient;
  const fhirId = resource.id;
  if (typeof fhirId !== 'string' || !FHIR_ID.test(fhirId)) return { ok: false, reason: 'no valid id (Patient.id)' };
  const mrn = medicalRecordNumber(patient, options.mrnSystem);
  if (!mrn) return { ok: false, reason: 'no medical record number (identifier of type MR)' };
  if (mrn.length > 64) return { ok: false, reason: 'medical record number longer than 64 characters' };
  const dateOfBirth = typeof patient.birthDate === 'string' ? FULL_DATE.exec(patient.birthDate)?.[1] : undefined;
  if (!dateOfBirth) return { ok: false, reason: patient.birthDate ? `birthDate ${String(patient.birthDate)} is not a full date` : 'no birthDate' };

  const warnings: string[] = [];
  const names = Array.isArray(patient.name) ? patient.name : [];
  const name = names.find((n) => n?.use === 'official') ?? names[0];
  const telecom = Array.isArray(patient.telecom) ? patient.telecom : [];
  const emailValue = telecom.find((t) => t?.system === 'email' && typeof t.value === 'string' && t.value.trim())?.value;
  const email = cut(emailValue, 254);
  if (email && !/^[^\s@]+@[^\s@]+$/.test(email)) warnings.push(`email "${email}" is not an email address; stored without email`);

  const phones = telecom.filter((t) => t?.system === 'phone' && typeof t.value === 'string' && t.value.trim());
  const phoneEntry = phones.find((t) => t.use === 'mobile') ?? phones.find((t) => t.use === 'home') ?? phones[0];
  let phone: string | null = null;
  if (phoneEntry?.value) {
    phone = normalisePhone(phoneEntry.value, options.phoneRegion);
    if (!phone) warnings.push(`phone "${phoneEntry.value}" is not a phone number; stored without phone`);
  }

  const addresses = Array.isArray(patient.address) ? patient.address : [];
  const address = addresses.find((a) => a?.use === 'home') ?? addresses[0];
  const lines = Array.isArray(address?.line) ? address!.line : [];

  const deceased = patient.deceasedBoolean === true || typeof patient.deceasedDateTime === 'string';
  const inactive = patient.active === false;
  return {
    ok: true,
    warnings,
    value: {
      fhirId,
      mrn,
      firstName: cut(Array.isArray(name?.given) ? name!.given[0] : null, 100) ?? '',
      lastName: cut(name?.family as string | undefined, 100) ?? '',
      dateOfBirth,
      sex: cut(patient.gender, 16) ?? 'unknown',
      email: email && /^[^\s@]+@[^\s@]+$/.test(email) ? email : null,
      phone,
      phoneDigits: phone ? phone.slice(1) : null,
      addressLine1: cut(lines[0], 200),
      addressLine2: cut(lines.slice(1).join(', '), 200),
      city: cut(address?.city, 100),
      state: cut(address?.state, 32),
      postalCode: cut(address?.postalCode, 16),
      active: !deceased && !inactive,
      inactiveReason: deceased ? 'deceased' : inactive ? 'inactive' : null,
    },
  };
}

function medicalRecordNumber(patient: R4Patient, mrnSystem: string | null): string | null {
  const identifiers = Array.isArray(patient.identifier) ? patient.identifier : [];
  const usable = identifiers.filter((i) => typeof i?.value === 'string' && i.value.trim());
  const byType = usable.find((i) => i.type?.coding?.some((c) => c?.code === 'MR' && (!c.system || c.system === V2_0203 || c.system.endsWith('/v2-0203'))));
  const bySystem = mrnSystem ? usable.find((i) => i.system === mrnSystem) : undefined;
  return (byType ?? bySystem)?.value?.trim() ?? null;
}

/** E.164 whenever the number is a possible one for its region (`555-810-7203` → `+15558107203`). */
export function normalisePhone(value: string, region: string): string | null {
  const parsed = parsePhoneNumberFromString(value, region as CountryCode);
  if (!parsed || !parsed.isPossible()) return null;
  return parsed.number;
}

/** The Patient id a reference names: `Patient/x`, an absolute `…/Patient/x`, or a bundle's `urn:uuid:x`. */
export function referencedPatientId(reference: unknown): string | null {
  const ref = (reference as { reference?: unknown } | undefined)?.reference;
  if (typeof ref !== 'string') return null;
  if (ref.startsWith('urn:uuid:')) return ref.slice('urn:uuid:'.length) || null;
  const match = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/.*)?$/.exec(ref);
  return match ? match[1]! : null;
}

function conceptText(concept: fhir.CodeableConcept | undefined): string | null {
  if (!concept) return null;
  return concept.text?.trim() || concept.coding?.find((c) => c?.display)?.display?.trim() || null;
}

function conceptCode(concept: fhir.CodeableConcept | undefined): string | null {
  return cut(concept?.coding?.find((c) => c?.code)?.code, 32);
}

function dateOf(...candidates: unknown[]): string | null {
  for (const candidate of candidates) {
    if (typeof candidate === 'string') {
      const date = FULL_DATE.exec(candidate)?.[1];
      if (date) return date;
    }
  }
  return null;
}

function notesOf(resource: { note?: fhir.Annotation[] }): string | null {
  const notes = Array.isArray(resource.note) ? resource.note.map((n) => n?.text?.trim()).filter(Boolean) : [];
  return notes.length ? notes.join('\n') : null;
}

function statusOf(value: unknown): string {
  if (typeof value === 'string') return cut(value, 32) ?? 'unknown';
  return cut(conceptCode(value as fhir.CodeableConcept), 32) ?? 'unknown';
}

/**
 * A clinical resource as a chart entry, keyed by its resource id. `null` for types that are not
 * chart entries (the import counts them as skipped).
 */
export function mapEntry(resource: FhirResource): MapResult<MappedEntry> | null {
  const kind = ENTRY_TYPES[resource.resourceType];
  if (!kind) return null;
  if (typeof resource.id !== 'string' || !FHIR_ID.test(resource.id)) return { ok: false, reason: `no valid id (${resource.resourceType}.id)` };
  const referenceField = resource.resourceType === 'AllergyIntolerance' ? 'patient' : 'subject';
  const patientFhirId = referencedPatientId(resource[referenceField]);
  if (!patientFhirId) return { ok: false, reason: `no patient reference (${resource.resourceType}.${referenceField})` };

  let concept: fhir.CodeableConcept | undefined;
  let recordedOn: string | null;
  let status: string;
  let fallbackText: string | null = null;
  switch (resource.resourceType) {
    case 'AllergyIntolerance': {
      const r = resource as unknown as R4Allergy;
      concept = r.code;
      recordedOn = dateOf(r.onsetDateTime, r.recordedDate, r.assertedDate);
      status = statusOf(r.clinicalStatus ?? r.verificationStatus);
      break;
    }
    case 'Condition': {
      const r = resource as unknown as R4Condition;
      concept = r.code;
      recordedOn = dateOf(r.onsetDateTime, r.recordedDate, r.assertedDate);
      status = statusOf(r.clinicalStatus);
      break;
    }
    case 'MedicationRequest': {
      const r = resource as unknown as R4MedicationRequest;
      concept = r.medicationCodeableConcept;
      recordedOn = dateOf(r.authoredOn);
      status = statusOf(r.status);
      break;
    }
    case 'MedicationStatement': {
      const r = resource as unknown as R4MedicationStatement;
      concept = r.medicationCodeableConcept;
      recordedOn = dateOf(r.effectiveDateTime, r.effectivePeriod?.start, r.dateAsserted);
      status = statusOf(r.status);
      break;
    }
    default: {
      const r = resource as unknown as R4Encounter;
      concept = Array.isArray(r.type) ? r.type[0] : undefined;
      fallbackText = r.class?.display?.trim() || null;
      recordedOn = dateOf(r.period?.start);
      status = statusOf(r.status);
    }
  }
  if (!recordedOn) return { ok: false, reason: `no date (${dateFieldsOf(resource.resourceType)})` };
  const description = cut(conceptText(concept) ?? fallbackText ?? conceptCode(concept), 255);
  if (!description) return { ok: false, reason: 'no text (code.text or a coding display)' };
  return {
    ok: true,
    warnings: [],
    value: {
      fhirKey: `${resource.resourceType}/${resource.id}`,
      patientFhirId,
      kind,
      code: conceptCode(concept),
      description,
      status,
      recordedOn,
      notes: notesOf(resource as { note?: fhir.Annotation[] }),
    },
  };
}

function dateFieldsOf(resourceType: string): string {
  switch (resourceType) {
    case 'MedicationRequest':
      return 'authoredOn';
    case 'MedicationStatement':
      return 'effective[x] or dateAsserted';
    case 'Encounter':
      return 'period.start';
    default:
      return 'onset or recordedDate';
  }
}
