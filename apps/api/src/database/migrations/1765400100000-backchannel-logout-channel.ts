import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/** Outbox channels longer than `email`/`sms`/`voice`: `backchannel_logout` carries logout tokens to portal apps. */
export class BackchannelLogoutChannel1765400100000 implements MigrationInterface {
  name = 'BackchannelLogoutChannel1765400100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.changeColumn('outbox_messages', 'channel', new TableColumn({ name: 'channel', type: 'varchar', length: '32' }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.changeColumn('outbox_messages', 'channel', new TableColumn({ name: 'channel', type: 'varchar', length: '8' }));
  }
}
