import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * The whole first schema, written with TypeORM's portable Table API so MySQL/MariaDB and the
 * embedded SQLite file get the same tables, columns and indexes from one definition.
 */
const id = (name = 'id', primary = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: primary });
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });
const int = (name: string, fallback?: number): TableColumnOptions => ({ name, type: 'integer', ...(fallback === undefined ? {} : { default: fallback }) });
const bool = (name: string, fallback?: boolean): TableColumnOptions => ({
  name,
  type: 'boolean',
  ...(fallback === undefined ? {} : { default: fallback ? 1 : 0 }),
});
const marker = (name: string): TableColumnOptions => ({ name, type: 'tinyint', isNullable: true });
const ts = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });
const date = (name: string): TableColumnOptions => ({ name, type: 'date' });
const hash = (name: string, nullable = false): TableColumnOptions => str(name, 64, nullable);
const index = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

interface TableSpec {
  name: string;
  columns: TableColumnOptions[];
  indices: TableIndex[];
}

const tables: TableSpec[] = [
  {
    name: 'practices',
    columns: [id('id', true), str('name', 160), str('slug', 64), str('phone', 32), str('timeZone', 64), bool('allowSecurityQuestions', true), ts('createdAt')],
    indices: [index('UQ_practices_slug', ['slug'], true)],
  },
  {
    name: 'staff_users',
    columns: [
      id('id', true),
      id('practiceId'),
      str('email', 254),
      str('name', 160),
      str('role', 32),
      str('passwordHash', 255),
      bool('active', true),
      ts('lastLoginAt', true),
      ts('createdAt'),
      ts('updatedAt'),
    ],
    indices: [index('UQ_staff_users_email', ['email'], true), index('IDX_staff_users_practice', ['practiceId', 'name'])],
  },
  {
    name: 'staff_sessions',
    columns: [
      id('id', true),
      hash('tokenHash'),
      id('staffUserId'),
      id('practiceId'),
      ts('createdAt'),
      ts('lastSeenAt'),
      ts('expiresAt'),
      ts('revokedAt', true),
      str('ip', 64, true),
      str('userAgent', 255, true),
    ],
    indices: [index('UQ_staff_sessions_token', ['tokenHash'], true), index('IDX_staff_sessions_user', ['staffUserId'])],
  },
  {
    name: 'login_attempts',
    columns: [id('id', true), str('accountKey', 64), str('ip', 64), bool('succeeded'), ts('createdAt')],
    indices: [index('IDX_login_attempts_account', ['accountKey', 'createdAt']), index('IDX_login_attempts_ip', ['ip', 'createdAt'])],
  },
  {
    name: 'patients',
    columns: [
      id('id', true),
      id('practiceId'),
      str('mrn', 32),
      str('firstName', 100),
      str('lastName', 100),
      date('dateOfBirth'),
      str('sex', 16),
      str('email', 254, true),
      str('phone', 20, true),
      str('phoneDigits', 20, true),
      str('addressLine1', 200, true),
      str('addressLine2', 200, true),
      str('city', 100, true),
      str('state', 32, true),
      str('postalCode', 16, true),
      ts('createdAt'),
      ts('updatedAt'),
    ],
    indices: [
      index('UQ_patients_practice_mrn', ['practiceId', 'mrn'], true),
      index('IDX_patients_practice_last_first', ['practiceId', 'lastName', 'firstName']),
      index('IDX_patients_practice_first', ['practiceId', 'firstName']),
      index('IDX_patients_practice_email', ['practiceId', 'email']),
      index('IDX_patients_practice_phone', ['practiceId', 'phoneDigits']),
      index('IDX_patients_practice_dob', ['practiceId', 'dateOfBirth']),
    ],
  },
  {
    name: 'clinical_entries',
    columns: [
      id('id', true),
      id('practiceId'),
      id('patientId'),
      str('kind', 16),
      str('code', 32, true),
      str('description', 255),
      str('status', 32),
      date('recordedOn'),
      text('notes', true),
      ts('createdAt'),
    ],
    indices: [index('IDX_clinical_entries_patient', ['patientId', 'kind'])],
  },
  {
    name: 'portal_accounts',
    columns: [
      id('id', true),
      id('practiceId'),
      id('patientId'),
      str('username', 64),
      str('usernameNormalized', 64),
      str('status', 16),
      marker('openMarker'),
      str('passwordHash', 255, true),
      str('securityQuestion', 255, true),
      str('securityAnswerHash', 255, true),
      int('failedLoginCount', 0),
      str('lockReason', 64, true),
      ts('lockedAt', true),
      str('closeReason', 32, true),
      ts('closedAt', true),
      ts('lastLoginAt', true),
      ts('createdAt'),
      ts('updatedAt'),
    ],
    indices: [
      index('UQ_portal_accounts_username', ['usernameNormalized'], true),
      index('UQ_portal_accounts_open', ['patientId', 'openMarker'], true),
      index('IDX_portal_accounts_practice_status', ['practiceId', 'status']),
    ],
  },
  {
    name: 'portal_sessions',
    columns: [
      id('id', true),
      hash('tokenHash'),
      id('practiceId'),
      id('portalAccountId'),
      ts('createdAt'),
      ts('lastSeenAt'),
      ts('expiresAt'),
      ts('revokedAt', true),
    ],
    indices: [index('UQ_portal_sessions_token', ['tokenHash'], true), index('IDX_portal_sessions_account', ['portalAccountId'])],
  },
  {
    name: 'registration_invitations',
    columns: [
      id('id', true),
      id('practiceId'),
      id('patientId'),
      hash('tokenHash'),
      hash('pinHash'),
      str('status', 16),
      marker('pendingMarker'),
      str('sentTo', 254),
      ts('expiresAt'),
      int('failedAttempts', 0),
      ts('verifiedAt', true),
      str('verifiedBy', 16, true),
      ts('usedAt', true),
      ts('revokedAt', true),
      ts('lockedAt', true),
      str('portalAccountId', 36, true),
      str('createdByStaffId', 36, true),
      ts('createdAt'),
    ],
    indices: [
      index('UQ_registration_invitations_token', ['tokenHash'], true),
      index('UQ_registration_invitations_pending', ['patientId', 'pendingMarker'], true),
      index('IDX_registration_invitations_practice_status', ['practiceId', 'status', 'expiresAt']),
    ],
  },
  {
    name: 'verification_codes',
    columns: [
      id('id', true),
      id('practiceId'),
      str('subjectType', 32),
      id('subjectId'),
      hash('codeHash'),
      str('channel', 8),
      ts('expiresAt'),
      ts('usedAt', true),
      ts('createdAt'),
    ],
    indices: [index('IDX_verification_codes_subject', ['subjectType', 'subjectId', 'createdAt'])],
  },
  {
    name: 'password_reset_requests',
    columns: [
      id('id', true),
      id('practiceId'),
      id('patientId'),
      id('portalAccountId'),
      hash('tokenHash'),
      str('status', 16),
      ts('expiresAt'),
      int('failedAttempts', 0),
      ts('verifiedAt', true),
      ts('usedAt', true),
      ts('revokedAt', true),
      ts('createdAt'),
    ],
    indices: [
      index('UQ_password_reset_requests_token', ['tokenHash'], true),
      index('IDX_password_reset_requests_account', ['portalAccountId', 'status']),
      index('IDX_password_reset_requests_patient', ['patientId', 'status']),
    ],
  },
  {
    name: 'outbox_messages',
    columns: [
      id('id', true),
      id('practiceId'),
      str('patientId', 36, true),
      str('channel', 8),
      str('template', 64),
      str('toAddress', 254),
      str('subjectType', 32, true),
      str('subjectId', 36, true),
      text('sealedSecret', true),
      str('status', 16),
      int('attempts', 0),
      int('maxAttempts', 8),
      ts('nextAttemptAt'),
      ts('claimedUntil', true),
      str('lastError', 1000, true),
      str('subject', 255, true),
      str('providerMessageId', 255, true),
      ts('sentAt', true),
      ts('createdAt'),
      ts('updatedAt'),
    ],
    indices: [
      index('IDX_outbox_due', ['status', 'nextAttemptAt']),
      index('IDX_outbox_practice_created', ['practiceId', 'createdAt']),
      index('IDX_outbox_subject', ['subjectType', 'subjectId']),
    ],
  },
  {
    name: 'idempotency_keys',
    columns: [
      id('id', true),
      id('practiceId'),
      str('scope', 64),
      str('key', 128),
      hash('requestHash'),
      int('responseStatus'),
      text('responseBody'),
      ts('createdAt'),
    ],
    indices: [index('UQ_idempotency_keys_scope', ['practiceId', 'scope', 'key'], true)],
  },
  {
    name: 'audit_events',
    columns: [
      id('id', true),
      id('practiceId'),
      int('seq'),
      str('action', 64),
      str('actorType', 16),
      str('actorId', 36, true),
      str('actorName', 160, true),
      str('patientId', 36, true),
      str('reason', 64, true),
      text('details'),
      str('ip', 64, true),
      str('userAgent', 255, true),
      ts('createdAt'),
      hash('hash'),
      hash('prevHash', true),
    ],
    indices: [
      index('UQ_audit_events_practice_seq', ['practiceId', 'seq'], true),
      index('IDX_audit_events_practice_created', ['practiceId', 'createdAt']),
      index('IDX_audit_events_practice_action', ['practiceId', 'action', 'createdAt']),
      index('IDX_audit_events_patient', ['patientId', 'createdAt']),
      index('IDX_audit_events_actor', ['actorId', 'createdAt']),
    ],
  },
  {
    name: 'audit_chain_heads',
    columns: [id('practiceId', true), int('lastSeq'), hash('lastHash', true)],
    indices: [],
  },
];

export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const spec of tables) {
      await queryRunner.createTable(new Table({ name: spec.name, columns: spec.columns, indices: spec.indices }), true);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const spec of [...tables].reverse()) {
      await queryRunner.dropTable(spec.name, true);
    }
  }
}
