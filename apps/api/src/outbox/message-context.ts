import type { EntityManager } from 'typeorm';
import { PermanentDeliveryError } from '../mail/delivery-error';
import { formatPhoneForDisplay } from '../mail/formatting';
import { Patient } from '../patients/patient.entity';
import { Practice } from '../practices/practice.entity';

/** What every patient message greets with: first name only, since an email may be read by anyone with the inbox. */
export interface Greeting {
  practice: Practice;
  patient: Patient | null;
  data: { firstName: string; practiceName: string; practicePhone: string };
}

export async function loadPractice(manager: EntityManager, practiceId: string): Promise<Practice> {
  const practice = await manager.findOne(Practice, { where: { id: practiceId } });
  if (!practice) throw new PermanentDeliveryError('The practice of this message no longer exists; not sent');
  return practice;
}

export async function loadGreeting(manager: EntityManager, practiceId: string, patientId: string): Promise<Greeting> {
  const [practice, patient] = await Promise.all([
    loadPractice(manager, practiceId),
    patientId ? manager.findOne(Patient, { where: { id: patientId, practiceId } }) : Promise.resolve(null),
  ]);
  return {
    practice,
    patient,
    data: { firstName: patient?.firstName ?? 'there', practiceName: practice.name, practicePhone: formatPhoneForDisplay(practice.phone) },
  };
}

/** The message's subject row, of its practice; a message whose row is gone cannot be sent. */
export async function loadSubject<E extends { id: string; practiceId: string }>(
  manager: EntityManager,
  entity: new () => E,
  message: { subjectId: string | null; practiceId: string },
  what: string,
): Promise<E> {
  const id = message.subjectId ?? '';
  const row = id ? await manager.findOne(entity, { where: { id, practiceId: message.practiceId } as never }) : null;
  if (!row) throw new PermanentDeliveryError(`The ${what} this message belongs to no longer exists; not sent`);
  return row;
}

/** Only PUBLIC_URL and an URL-encoded token: the result is safe to insert raw into href. */
export function linkWithToken(publicUrl: string, path: string, token: string): string {
  return `${publicUrl}/${path}/${encodeURIComponent(token)}`;
}
