import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type {
  ImageLocationStatus,
  ImageMemberStatus,
  ImageStatus,
  TaskStatus,
} from '@cinderflow/status-machines';
import { SoftDeletedRow } from './soft-deleted-row';

/** A Glance image. `pending_delete` and `deleted` images are gone for the images API. */
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

  /** MD5 of the data, and the multihash (`sha512`), both computed while the data streams in. */
  @Column('varchar', { length: 32, nullable: true })
  checksum!: string | null;

  @Column('varchar', { length: 64, nullable: true })
  os_hash_algo!: string | null;

  @Column('varchar', { length: 128, nullable: true })
  os_hash_value!: string | null;

  @Column('bigint', { nullable: true })
  virtual_size!: string | null;

  @Column('integer', { default: 0 })
  min_disk!: number;

  @Column('integer', { default: 0 })
  min_ram!: number;

  @Column('boolean', { default: false })
  os_hidden!: boolean;

  @Column('text', { array: true, default: '{}' })
  tags!: string[];

  /** Glance's extra (custom) properties, all strings. */
  @Column('jsonb', { default: {} })
  properties!: Record<string, string>;

  /** The glance-api process whose upload holds a `saving` image (its restart settles it). */
  @Column('varchar', { length: 255, nullable: true })
  upload_host!: string | null;
}

/** A project an image is shared with, and whether it accepted (Glance's image members). */
@Entity({ name: 'image_members' })
export class ImageMemberEntity extends SoftDeletedRow {
  @PrimaryGeneratedColumn('increment')
  id!: number;

  @Column('uuid')
  image_id!: string;

  @Column('varchar', { length: 255 })
  member!: string;

  @Column('boolean', { default: false })
  can_share!: boolean;

  @Column('varchar', { length: 20, default: 'pending' })
  status!: ImageMemberStatus;
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

  /** The task worker running it (a restarted worker settles what it held). */
  @Column('varchar', { length: 255, nullable: true })
  worker_host!: string | null;

  /** Glance's task columns: the image named in the input, and who asked under which request. */
  @Column('varchar', { length: 36, nullable: true })
  image_id!: string | null;

  @Column('varchar', { length: 64, nullable: true })
  request_id!: string | null;

  @Column('varchar', { length: 64, nullable: true })
  user_id!: string | null;

  /** The image an import builds, chosen with the claim (not shown: Glance has no such field). */
  @Column('uuid', { nullable: true })
  import_image_id!: string | null;
}
