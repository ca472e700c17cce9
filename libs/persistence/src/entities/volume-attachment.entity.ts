import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AttachmentStatus } from '@cinderflow/status-machines';
import { SoftDeletedRow } from './soft-deleted-row';

/** A volume attachment (Cinder's `volume_attachment` table); its machine column is `attach_status`. */
@Entity({ name: 'volume_attachment' })
export class VolumeAttachmentEntity extends SoftDeletedRow {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('uuid')
  volume_id!: string;

  @Column('varchar', { length: 255 })
  attach_status!: AttachmentStatus;

  @Column('varchar', { length: 36, nullable: true })
  instance_uuid!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  attached_host!: string | null;

  @Column('varchar', { length: 255, nullable: true })
  mountpoint!: string | null;

  @Column('varchar', { length: 4, nullable: true })
  attach_mode!: string | null;

  @Column('jsonb', { nullable: true })
  connector!: Record<string, unknown> | null;

  @Column('jsonb', { nullable: true })
  connection_info!: Record<string, unknown> | null;

  @Column('timestamp', { precision: 6, nullable: true })
  attach_time!: Date | null;

  @Column('timestamp', { precision: 6, nullable: true })
  detach_time!: Date | null;
}
