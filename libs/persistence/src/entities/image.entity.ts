import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { ImageLocationStatus, ImageStatus, TaskStatus } from '@cinderflow/status-machines';
import { SoftDeletedRow } from './soft-deleted-row';

/** A Glance image (the image service to come keeps its state here). */
@Entity({ name: 'images' })
export class ImageEntity extends SoftDeletedRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 255, nullable: true })
  name!: string | null;

  @Column('varchar', { length: 30 })
  status!: ImageStatus;

  @Column('bigint', { nullable: true })
  size!: string | null;

  @Column('varchar', { length: 30, nullable: true })
  disk_format!: string | null;

  @Column('varchar', { length: 30, nullable: true })
  container_format!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  owner!: string | null;

  @Column('varchar', { length: 20, default: 'shared' })
  visibility!: string;

  @Column('boolean', { default: false })
  protected!: boolean;
}

/** Where an image's data lives; each location has its own status (seed 002). */
@Entity({ name: 'image_locations' })
export class ImageLocationEntity extends SoftDeletedRow {
  @PrimaryGeneratedColumn('increment')
  id!: number;

  @Column('uuid')
  image_id!: string;

  @Column('text')
  value!: string;

  @Column('jsonb', { default: {} })
  meta_data!: Record<string, unknown>;

  @Column('varchar', { length: 30 })
  status!: ImageLocationStatus;
}

/** A Glance task (image import and the like). */
@Entity({ name: 'tasks' })
export class TaskEntity extends SoftDeletedRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar', { length: 30 })
  type!: string;

  @Column('varchar', { length: 30 })
  status!: TaskStatus;

  @Column('varchar', { length: 255 })
  owner!: string;

  @Column('jsonb', { nullable: true })
  input!: Record<string, unknown> | null;

  @Column('jsonb', { nullable: true })
  result!: Record<string, unknown> | null;

  @Column('text', { nullable: true })
  message!: string | null;

  @Column('timestamp', { precision: 6, nullable: true })
  expires_at!: Date | null;
}
