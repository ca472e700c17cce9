import type { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  BackupEntity,
  MessageActions,
  MessageDetails,
  settleResource,
  SnapshotEntity,
  VolumeEntity,
  BackupsRepository,
} from '@cinderflow/persistence';
import { backupMachine, snapshotMachine, volumeMachine } from '@cinderflow/status-machines';

const ids = z.object({ backup_id: z.string().uuid(), volume_id: z.string().uuid().optional() });

/**
 * What becomes of a backup (and its volume) when a cinder-backup message is dead-lettered: it
 * failed for a reason no retry helps. Each leaves nothing in a working status, with a user
 * message saying what failed; a resource that moved on meanwhile is left as it is.
 */
export async function settleDeadBackupMessage(
  dataSource: DataSource,
  method: 'create_backup' | 'restore_backup' | 'delete_backup' | 'import_record',
  payload: unknown,
  reason: string,
  requestId: string,
): Promise<void> {
  const parsed = ids.safeParse(payload);
  if (!parsed.success) return;
  const { backup_id: backupId, volume_id: volumeId } = parsed.data;
  const message = (action: (typeof MessageActions)[keyof typeof MessageActions]) => ({
    requestId,
    action,
    detail: MessageDetails.UNKNOWN_ERROR,
    explanation: reason,
  });
  await dataSource.transaction(async (tx) => {
    if (method === 'import_record') {
      // Nothing read yet and no volume held: the imported backup is `error`.
      await settleResource(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backupId,
        events: ['create_failed'],
        set: { fail_reason: reason },
        resourceType: 'backup',
      });
    } else if (method === 'create_backup') {
      const backup = await new BackupsRepository(tx).findAny(backupId);
      const settled = await settleResource(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backupId,
        events: ['create_failed'],
        set: { fail_reason: reason },
        resourceType: 'backup',
        message: { ...message(MessageActions.BACKUP_CREATE), resourceType: 'VOLUME_BACKUP' },
      });
      // The volume returns to the status it had before the backup, unless the backup had
      // already moved on (reset): then the volume may be another backup's by now.
      if (settled && backup?.snapshot_id) {
        await settleResource(tx, {
          machine: snapshotMachine,
          entity: SnapshotEntity,
          id: backup.snapshot_id,
          events: ['backup_finished'],
          resourceType: 'snapshot',
        });
      } else if (settled && backup) {
        await settleResource(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: backup.volume_id,
          events: ['backup_finished'],
          resourceType: 'volume',
        });
      }
    } else if (method === 'restore_backup') {
      // Only a restore into this very volume: the backup may be restoring elsewhere by now.
      const settled = await settleResource(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backupId,
        events: ['restore_finished'],
        set: { fail_reason: reason, restore_volume_id: null },
        where: { sql: 'restore_volume_id = :volumeId', params: { volumeId: volumeId ?? null } },
        resourceType: 'backup',
      });
      if (settled && volumeId) {
        await settleResource(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volumeId,
          events: ['restore_failed', 'restore_new_volume_failed'],
          resourceType: 'volume',
          message: message(MessageActions.BACKUP_RESTORE),
        });
      }
    } else {
      await settleResource(tx, {
        machine: backupMachine,
        entity: BackupEntity,
        id: backupId,
        events: ['delete_failed'],
        set: { fail_reason: reason },
        resourceType: 'backup',
        message: { ...message(MessageActions.BACKUP_DELETE), resourceType: 'VOLUME_BACKUP' },
      });
    }
  });
}
