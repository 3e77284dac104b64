import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

/** The portal's OpenID Provider: its sealed state, the per-chart subject ids and the portal apps. */
const id = (name = 'id', primary = false): TableColumnOptions => ({ name, type: 'varchar', length: '36', isPrimary: primary });
const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const text = (name: string): TableColumnOptions => ({ name, type: 'text' });
const ts = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'datetime', precision: 3, isNullable: nullable });
const index = (name: string, columnNames: string[], isUnique = false) => new TableIndex({ name, columnNames, isUnique });

export class OpenIdProvider1765400000000 implements MigrationInterface {
  name = 'OpenIdProvider1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'oidc_payloads',
        columns: [
          { ...str('idHash', 64), isPrimary: true },
          str('model', 32),
          str('accountId', 36, true),
          str('grantIdHash', 64, true),
          str('uidHash', 64, true),
          text('sealedPayload'),
          ts('expiresAt', true),
          ts('createdAt'),
        ],
        indices: [
          index('IDX_oidc_payloads_account', ['accountId']),
          index('IDX_oidc_payloads_grant', ['grantIdHash']),
          index('IDX_oidc_payloads_uid', ['uidHash']),
          index('IDX_oidc_payloads_expires', ['expiresAt']),
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'portal_subjects',
        columns: [id('patientId', true), id('practiceId'), str('subject', 36), ts('createdAt')],
        indices: [index('UQ_portal_subjects_subject', ['subject'], true)],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'portal_apps',
        columns: [
          id('id', true),
          id('practiceId'),
          str('name', 100),
          str('clientId', 64),
          str('clientSecretHash', 64, true),
          { name: 'confidential', type: 'boolean', default: 0 },
          text('redirectUris'),
          text('postLogoutRedirectUris'),
          str('backchannelLogoutUri', 2000, true),
          ts('createdAt'),
          ts('updatedAt'),
        ],
        indices: [index('UQ_portal_apps_client', ['clientId'], true), index('IDX_portal_apps_practice', ['practiceId', 'name'])],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('portal_apps');
    await queryRunner.dropTable('portal_subjects');
    await queryRunner.dropTable('oidc_payloads');
  }
}
