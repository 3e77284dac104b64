import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { hashColumn, idColumn, timestampColumn } from '../database/columns';

/** A relying party of the practice's patient portal: an OpenID Connect client of ResetDesk. */
@Entity('portal_apps')
@Index('UQ_portal_apps_client', ['clientId'], { unique: true })
@Index('IDX_portal_apps_practice', ['practiceId', 'name'])
export class PortalApp {
  @PrimaryColumn(idColumn) id: string;
  @Column(idColumn) practiceId: string;
  @Column({ type: 'varchar', length: 100 }) name: string;
  @Column({ type: 'varchar', length: 64 }) clientId: string;
  /** SHA-256 of the client secret (256 random bits); NULL for a public app. */
  @Column({ ...hashColumn, nullable: true }) clientSecretHash: string | null;
  @Column({ type: 'boolean', width: 1, default: false }) confidential: boolean;
  /** JSON arrays of absolute URIs. */
  @Column({ type: 'text' }) redirectUris: string;
  @Column({ type: 'text' }) postLogoutRedirectUris: string;
  @Column({ type: 'varchar', length: 2000, nullable: true }) backchannelLogoutUri: string | null;
  @Column(timestampColumn) createdAt: Date;
  @Column(timestampColumn) updatedAt: Date;
}
