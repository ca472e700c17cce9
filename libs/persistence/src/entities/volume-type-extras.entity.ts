import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A project a private volume type is shared with (Cinder's volume_type_projects). */
@Entity({ name: 'volume_type_projects' })
export class VolumeTypeProjectEntity {
  @PrimaryColumn('uuid')
  volume_type_id!: string;

  @PrimaryColumn('varchar', { length: 255 })
  project_id!: string;

  @Column('timestamp', { precision: 6 })
  created_at!: Date;
}

/** A volume type's encryption (Cinder's `encryption` table); at most one live row per type. */
@Entity({ name: 'volume_type_encryption' })
export class VolumeTypeEncryptionEntity {
  @PrimaryColumn('uuid')
  encryption_id!: string;

  @Column('uuid')
  volume_type_id!: string;

  @Column('varchar', { length: 255 })
  provider!: string;

  @Column('varchar', { length: 255, nullable: true })
  cipher!: string | null;

  @Column('integer', { nullable: true })
  key_size!: number | null;

  @Column('varchar', { length: 255 })
  control_location!: string;

  @Column('timestamp', { precision: 6 })
  created_at!: Date;

  @Column('timestamp', { precision: 6, nullable: true })
  updated_at!: Date | null;

  @Column('boolean', { default: false })
  deleted!: boolean;

  @Column('timestamp', { precision: 6, nullable: true })
  deleted_at!: Date | null;
}

/** A project's own default volume type (microversion 3.62). */
@Entity({ name: 'default_volume_types' })
export class DefaultVolumeTypeEntity {
  @PrimaryColumn('varchar', { length: 255 })
  project_id!: string;

  @Column('uuid')
  volume_type_id!: string;

  @Column('timestamp', { precision: 6 })
  created_at!: Date;

  @Column('timestamp', { precision: 6, nullable: true })
  updated_at!: Date | null;
}
