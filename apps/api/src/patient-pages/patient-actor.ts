import type { AuditActor } from '../audit/audit-events';
import type { Patient } from '../patients/patient.entity';

/** The patient as the audit log names them, once they have proven who they are (or signed in). */
export function patientActor(patient: Pick<Patient, 'id' | 'firstName' | 'lastName'>): AuditActor {
  return { type: 'patient', id: patient.id, name: `${patient.firstName} ${patient.lastName}` };
}
