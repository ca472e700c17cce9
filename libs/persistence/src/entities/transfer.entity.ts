import { Column, Entity, PrimaryColumn } from 'typeorm';
import { SoftDeletedRow } from './soft-deleted-row';

/** A volume transfer request (Cinder's `transfers` table). */
@Entity({ name: 'transfers' })
export class TransferEntity extends SoftDeletedRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  volume_id!: string;

  @Column('varchar', { length: 255, nullable: true })
  display_name!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  salt!: string | null;

  /** hex HMAC-SHA1 of the auth key, keyed with the salt (Cinder's _get_crypt_hash). */
  @Column('varchar', { length: 255, nullable: true })
  crypt_hash!: string | null;

  @Column('timestamp', { precision: 6, nullable: true })
  expires_at!: Date | null;

  @Column('boolean', { default: false })
  no_snapshots!: boolean;

  @Column('varchar', { length: 255, nullable: true })
  source_project_id!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  destination_project_id!: string | null;

  @Column('boolean', { default: false })
  accepted!: boolean;
}
