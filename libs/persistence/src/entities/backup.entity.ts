import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { BackupStatus } from '@cinderflow/status-machines';
import { SoftDeletedRow } from './soft-deleted-row';

/** A volume backup, with Cinder's column names. */
@Entity({ name: 'backups' })
export class BackupEntity extends SoftDeletedRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 255 })
  project_id!: string;

  @Column('varchar', { length: 255 })
  user_id!: string;

  @Column('uuid')
  volume_id!: string;

  @Column('varchar', { length: 255 })
  status!: BackupStatus;

  @Column('varchar', { length: 255, nullable: true })
  display_name!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  display_description!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  availability_zone!: string | null;

  /** The cinder-backup host that holds (or makes) it. */
  @Column('varchar', { length: 255, nullable: true })
  host!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  container!: string | null;

  @Column('text', { nullable: true })
  fail_reason!: string | null;

  @Column('integer')
  size!: number;

  @Column('integer', { default: 0 })
  object_count!: number;

  /** Percent done while creating or restoring. */
  @Column('integer', { default: 0 })
  progress!: number;

  @Column('uuid', { nullable: true })
  parent_id!: string | null;

  @Column('integer', { default: 0 })
  num_dependent_backups!: number;

  @Column('uuid', { nullable: true })
  restore_volume_id!: string | null;

  @Column('timestamp', { precision: 6, nullable: true })
  data_timestamp!: Date | null;

  /** Cinder's backup metadata (3.43). */
  @Column('jsonb', { default: {} })
  metadata!: Record<string, string>;

  /** The snapshot whose bytes the backup read, if it was taken of one. */
  @Column('uuid', { nullable: true })
  snapshot_id!: string | null;
}
