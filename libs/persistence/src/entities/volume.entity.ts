import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { VolumeAttachStatus, VolumeStatus } from '@cinderflow/status-machines';
import { SoftDeletedRow } from './soft-deleted-row';

/** A volume row, with Cinder's column names. Rows are soft-deleted (`deleted`, `deleted_at`). */
@Entity({ name: 'volumes' })
export class VolumeEntity extends SoftDeletedRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 255 })
  project_id!: string;

  @Column('varchar', { length: 255 })
  user_id!: string;

  @Column('varchar', { length: 255, nullable: true })
  display_name!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  display_description!: string | null;

  @Column('integer')
  size!: number;

  @Column('varchar', { length: 255 })
  status!: VolumeStatus;

  @Column('varchar', { length: 255, default: 'detached' })
  attach_status!: VolumeAttachStatus;

  @Column('varchar', { length: 255 })
  availability_zone!: string;

  /** `host@backend#pool` once scheduled. */
  @Column('varchar', { length: 255, nullable: true })
  host!: string | null;

  @Column('uuid')
  volume_type_id!: string;

  /** The snapshot it was created from, if any. */
  @Column('uuid', { nullable: true })
  snapshot_id!: string | null;

  /** The volume it was cloned from, if any. */
  @Column('uuid', { nullable: true })
  source_volid!: string | null;

  @Column('jsonb', { default: {} })
  metadata!: Record<string, string>;

  /** Cinder's volume_admin_metadata: `readonly`, a pending extend's `extend_new_size`. */
  @Column('jsonb', { default: {} })
  admin_metadata!: Record<string, string>;

  /** Cinder's migration_status (retype/migrate): null, migrating, success, error... */
  @Column('varchar', { length: 255, nullable: true })
  migration_status!: string | null;

  @Column('boolean', { default: false })
  bootable!: boolean;

  @Column('boolean', { default: false })
  multiattach!: boolean;

  /** Which create attempt the row belongs to; makes duplicate create messages harmless. */
  @Column('integer', { default: 0 })
  scheduling_attempt!: number;

  @Column('varchar', { length: 255, nullable: true })
  previous_status!: string | null;

  @Column('timestamp', { precision: 6, nullable: true })
  launched_at!: Date | null;

  @Column('timestamp', { precision: 6, nullable: true })
  terminated_at!: Date | null;
}
