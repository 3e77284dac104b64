import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { idColumn, timestampColumn } from '../database/columns';

/**
 * Failed and successful staff sign-ins, kept in the database (not memory) so throttling
 * holds across API processes. The email is stored as a keyed hash: the table is about rates,
 * not about who typed what.
 */
@Entity('login_attempts')
@Index('IDX_login_attempts_account', ['accountKey', 'createdAt'])
@Index('IDX_login_attempts_ip', ['ip', 'createdAt'])
export class LoginAttempt {
  @PrimaryColumn(idColumn) id: string;
  @Column({ type: 'varchar', length: 64 }) accountKey: string;
  @Column({ type: 'varchar', length: 64 }) ip: string;
  @Column({ type: 'boolean', width: 1 }) succeeded: boolean;
  @Column(timestampColumn) createdAt: Date;
}
