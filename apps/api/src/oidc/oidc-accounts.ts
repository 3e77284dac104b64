import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { isRecordId } from '../common/tenant-scope';
import { UnitOfWork } from '../database/unit-of-work';
import { Patient } from '../patients/patient.entity';
import { PortalAccount } from '../portal-accounts/portal-account.entity';
import { uniqueViolation } from '../database/db-errors';
import { PortalSubject } from './portal-subject.entity';

export interface OidcAccount {
  accountId: string;
  claims(use: string, scope: string): Promise<Record<string, unknown>>;
}

/**
 * The provider's accounts are open portal accounts, known to it (and to apps, as `sub`) by the
 * chart's subject id, which outlives any one account. The subject finds the patient's active
 * account at every use, so a closed or locked account signs nobody in; ending access also
 * deletes everything the provider holds under the subject (OidcStore.revokeAccount).
 */
@Injectable()
export class OidcAccounts {
  constructor(private readonly uow: UnitOfWork) {}

  async find(subject: string): Promise<OidcAccount | undefined> {
    if (!isRecordId(subject)) return undefined;
    const manager = this.uow.dataSource.manager;
    const owner = await manager.findOneBy(PortalSubject, { subject });
    if (!owner) return undefined;
    const account = await manager.findOneBy(PortalAccount, { patientId: owner.patientId, practiceId: owner.practiceId, status: 'active' });
    if (!account) return undefined;
    return { accountId: subject, claims: () => this.claims(manager, account, subject) };
  }

  /** The subject the provider knows this account's patient by. */
  subjectOfAccount(account: Pick<PortalAccount, 'patientId' | 'practiceId'>, manager: EntityManager = this.uow.dataSource.manager): Promise<string> {
    return this.subjectOf(manager, { id: account.patientId, practiceId: account.practiceId });
  }

  private async claims(manager: EntityManager, account: PortalAccount, subject: string): Promise<Record<string, unknown>> {
    const patient = await manager.findOneByOrFail(Patient, { id: account.patientId, practiceId: account.practiceId });
    // The FHIR id column arrives with chart imports; a chart made any other way has none.
    const fhirId = (patient as Patient & { fhirId?: string | null }).fhirId;
    return {
      sub: subject,
      preferred_username: account.username,
      name: `${patient.firstName} ${patient.lastName}`,
      given_name: patient.firstName,
      family_name: patient.lastName,
      birthdate: patient.dateOfBirth,
      ...(patient.email ? { email: patient.email, email_verified: true } : {}),
      ...(fhirId ? { fhirUser: `Patient/${fhirId}` } : {}),
    };
  }

  /** The chart's subject id, made on first use; two first sign-ins at once agree on one. */
  async subjectOf(manager: EntityManager, patient: Pick<Patient, 'id' | 'practiceId'>): Promise<string> {
    const found = await manager.findOneBy(PortalSubject, { patientId: patient.id });
    if (found) return found.subject;
    try {
      const subject = randomUUID();
      await manager.insert(PortalSubject, { patientId: patient.id, practiceId: patient.practiceId, subject, createdAt: new Date() });
      return subject;
    } catch (error) {
      if (!uniqueViolation(error)) throw error;
      return (await manager.findOneByOrFail(PortalSubject, { patientId: patient.id })).subject;
    }
  }
}
