import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { SnapshotStatus } from '@cinderflow/status-machines';
import { SoftDeletedRow } from './soft-deleted-row';

/** A volume snapshot, with Cinder's column names; its metadata is a jsonb column like volumes'. */
@Entity({ name: 'snapshots' })
export class SnapshotEntity extends SoftDeletedRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 255 })
  project_id!: string;

  @Column('varchar', { length: 255 })
  user_id!: string;

  @Column('uuid')
  volume_id!: string;

  @Column('varchar', { length: 255 })
  status!: SnapshotStatus;

  /** Cinder's progress string, e.g. `100%` (os-extended-snapshot-attributes:progress). */
  @Column('varchar', { length: 255, nullable: true })
  progress!: string | null;

  /** GiB: the volume's size when the snapshot was taken. */
  @Column('integer')
  volume_size!: number;

  @Column('varchar', { length: 255, nullable: true })
  display_name!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  display_description!: string | null;

  @Column('uuid')
  volume_type_id!: string;

  @Column('jsonb', { default: {} })
  metadata!: Record<string, string>;

  @Column('uuid', { nullable: true })
  group_snapshot_id!: string | null;

  /** Where the driver keeps it (Cinder's provider_location). */
  @Column('varchar', { length: 255, nullable: true })
  provider_location!: string | null;

  @Column('boolean', { default: true })
  use_quota!: boolean;
}
