import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions, TableIndex } from 'typeorm';

/**
 * Staff two-step sign-in: the practice setting, second factors (TOTP and passkeys), recovery
 * codes and the pending sign-ins between the password and the second step. The demo practices
 * stay `optional` so their documented logins work with a password alone; every other practice,
 * existing or new, requires a second factor.
 */
const id = (name = 'id', primary = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: primary });
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });
const int = (name: string, fallback?: number, nullable = false): TableColumnOptions => ({
  name,
  type: 'integer',
  isNullable: nullable,
  ...(fallback === undefined ? {} : { default: fallback }),
});
const bool = (name: string, fallback: boolean): TableColumnOptions => ({ name, type: 'boolean', default: fallback ? 1 : 0 });
const ts = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });
const hash = (name: string): TableColumnOptions => str(name, 64);
const index = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

const DEMO_PRACTICE_SLUGS = ['maple-grove', 'riverside'];

const tables = [
  {
    name: 'staff_mfa_factors',
    columns: [
      id('id', true),
      id('staffUserId'),
      id('practiceId'),
      str('kind', 16),
      str('name', 100),
      text('sealedSecret', true),
      int('lastUsedStep', undefined, true),
      str('credentialId', 255, true),
      text('publicKey', true),
      int('signCount', undefined, true),
      str('transports', 255, true),
      ts('confirmedAt', true),
      ts('lastUsedAt', true),
      ts('createdAt'),
    ],
    indices: [index('IDX_staff_mfa_factors_user', ['staffUserId', 'kind']), index('UQ_staff_mfa_factors_credential', ['credentialId'], true)],
  },
  {
    name: 'staff_recovery_codes',
    columns: [id('id', true), id('staffUserId'), hash('codeHash'), ts('usedAt', true), ts('createdAt')],
    indices: [index('IDX_staff_recovery_codes_user', ['staffUserId', 'codeHash'])],
  },
  {
    name: 'staff_mfa_challenges',
    columns: [
      id('id', true),
      hash('tokenHash'),
      id('staffUserId'),
      id('practiceId'),
      str('method', 16),
      bool('enrolmentRequired', false),
      int('failedAttempts', 0),
      str('webauthnChallenge', 255, true),
      ts('expiresAt'),
      ts('endedAt', true),
      ts('createdAt'),
      str('ip', 64, true),
      str('userAgent', 255, true),
    ],
    indices: [index('UQ_staff_mfa_challenges_token', ['tokenHash'], true), index('IDX_staff_mfa_challenges_user', ['staffUserId'])],
  },
];

export class StaffIdentity1765500000000 implements MigrationInterface {
  name = 'StaffIdentity1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn('practices', new TableColumn({ name: 'staffMfa', type: 'varchar', length: '16', default: "'required'" }));
    await queryRunner.query(`UPDATE practices SET staffMfa = 'optional' WHERE slug IN (${DEMO_PRACTICE_SLUGS.map(() => '?').join(', ')})`, DEMO_PRACTICE_SLUGS);
    for (const spec of tables) {
      await queryRunner.createTable(new Table({ name: spec.name, columns: spec.columns, indices: spec.indices }), true);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const spec of [...tables].reverse()) await queryRunner.dropTable(spec.name, true);
    await queryRunner.dropColumn('practices', 'staffMfa');
  }
}
