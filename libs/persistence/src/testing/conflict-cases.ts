import { randomUUID } from 'node:crypto';
import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import {
  attachmentMachine,
  backupMachine,
  imageLocationMachine,
  imageMachine,
  type StatusMachine,
  taskMachine,
  volumeAttachMachine,
  volumeMachine,
} from '@cinderflow/status-machines';
import { BackupEntity } from '../entities/backup.entity';
import { ImageEntity, ImageLocationEntity, TaskEntity } from '../entities/image.entity';
import { DEFAULT_VOLUME_TYPE_ID } from '../entities/volume-type.entity';
import { VolumeAttachmentEntity } from '../entities/volume-attachment.entity';
import { VolumeEntity } from '../entities/volume.entity';
import type { StatusRow } from '../transition';

export interface ConflictCase {
  name: string;
  machine: StatusMachine<string, string>;
  entity: EntityTarget<StatusRow & ObjectLiteral>;
  column?: string;
  /** Makes a row in the status the event starts from; returns its id. */
  row(): Promise<string | number>;
  event: string;
  set?: Record<string, unknown>;
  to: string;
}

/**
 * For each machine, a row and an event that only one of many concurrent requests may win:
 * shared by the concurrency tests and `npm run bench:cas`.
 */
/** Inserts a volume row in the given status (and any other columns); returns its id. */
export async function insertVolume(
  ds: DataSource,
  status: string,
  extra: Partial<VolumeEntity> = {},
): Promise<string> {
  const id = randomUUID();
  await ds.manager.insert(VolumeEntity, {
    id,
    project_id: 'p',
    user_id: 'u',
    size: 1,
    status: status as VolumeEntity['status'],
    availability_zone: 'nova',
    volume_type_id: DEFAULT_VOLUME_TYPE_ID,
    created_at: new Date(),
    ...extra,
  });
  return id;
}

export function conflictCases(ds: DataSource): ConflictCase[] {
  const now = () => new Date();

  async function imageRow(status: string): Promise<string> {
    const id = randomUUID();
    await ds.manager.insert(ImageEntity, {
      id,
      status: status as ImageEntity['status'],
      created_at: now(),
    });
    return id;
  }

  return [
    {
      name: 'volume: attachment reservations of one available volume',
      machine: volumeMachine as never,
      entity: VolumeEntity,
      row: () => insertVolume(ds, 'available'),
      event: 'attachment_reserve',
      to: 'reserved',
    },
    {
      name: 'volume attach: completes of one attaching volume',
      machine: volumeAttachMachine as never,
      entity: VolumeEntity,
      column: 'attach_status',
      row: () => insertVolume(ds, 'attaching', { attach_status: 'attaching' }),
      event: 'complete',
      to: 'attached',
    },
    {
      name: 'attachment: completes of one attaching attachment',
      machine: attachmentMachine as never,
      entity: VolumeAttachmentEntity,
      column: 'attach_status',
      async row() {
        const id = randomUUID();
        await ds.manager.insert(VolumeAttachmentEntity, {
          id,
          volume_id: await insertVolume(ds, 'attaching'),
          attach_status: 'attaching',
          created_at: now(),
        });
        return id;
      },
      event: 'complete',
      to: 'attached',
    },
    {
      name: 'backup: deletes of one available backup',
      machine: backupMachine as never,
      entity: BackupEntity,
      async row() {
        const id = randomUUID();
        await ds.manager.insert(BackupEntity, {
          id,
          project_id: 'p',
          user_id: 'u',
          volume_id: randomUUID(),
          status: 'available',
          size: 1,
          created_at: now(),
        });
        return id;
      },
      event: 'delete',
      to: 'deleting',
    },
    {
      name: 'image: uploads to one queued image',
      machine: imageMachine as never,
      entity: ImageEntity,
      row: () => imageRow('queued'),
      event: 'upload',
      to: 'saving',
    },
    {
      name: 'image location: delayed deletes of one active location',
      machine: imageLocationMachine as never,
      entity: ImageLocationEntity,
      async row() {
        const result = await ds.manager.insert(ImageLocationEntity, {
          image_id: await imageRow('active'),
          value: 'file:///images/x',
          status: 'active',
          created_at: now(),
        });
        return (result.identifiers[0] as { id: number }).id;
      },
      event: 'delayed_delete',
      to: 'pending_delete',
    },
    {
      name: 'task: failures of one processing task',
      machine: taskMachine as never,
      entity: TaskEntity,
      async row() {
        const id = randomUUID();
        await ds.manager.insert(TaskEntity, {
          id,
          type: 'import',
          status: 'processing',
          owner: 'p',
          created_at: now(),
        });
        return id;
      },
      event: 'fail',
      set: { message: 'disk full' },
      to: 'failure',
    },
  ];
}
