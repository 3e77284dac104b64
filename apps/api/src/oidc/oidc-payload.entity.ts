import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hashColumn, nullableTimestamp, timestampColumn } from '../database/columns';

/**
 * What the OpenID Provider keeps between requests (sessions, interactions, grants, codes,
 * access and refresh tokens). A row is found by the SHA-256 of its model and id, and its payload
 * is sealed with a key derived from APP_SECRET: neither the key column nor the payload holds a
 * usable code, token or session cookie, so a copy of the table opens nothing.
 */
@Entity('oidc_payloads')
@Index('IDX_oidc_payloads_account', ['accountId'])
@Index('IDX_oidc_payloads_grant', ['grantIdHash'])
@Index('IDX_oidc_payloads_uid', ['uidHash'])
@Index('IDX_oidc_payloads_expires', ['expiresAt'])
export class OidcPayload {
  @PrimaryColumn(hashColumn) idHash: string;
  @Column({ type: 'varchar', length: 32 }) model: string;
  /** The patient's subject id the row belongs to (sessions, grants, codes, tokens): ending access deletes by it. */
  @Column({ type: 'varchar', length: 36, nullable: true }) accountId: string | null;
  @Column({ ...hashColumn, nullable: true }) grantIdHash: string | null;
  @Column({ ...hashColumn, nullable: true }) uidHash: string | null;
  @Column({ type: 'text' }) sealedPayload: string;
  @Column(nullableTimestamp) expiresAt: Date | null;
  @Column(timestampColumn) createdAt: Date;
}
