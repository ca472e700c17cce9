import type { EntityManager } from 'typeorm';
import { snapshotMachine, volumeMachine } from '@cinderflow/status-machines';
import type { BackupEntity } from './entities/backup.entity';
import { SnapshotEntity } from './entities/snapshot.entity';
import { VolumeEntity } from './entities/volume.entity';
import { BackupsRepository } from './repositories/backups.repository';
import { SnapshotsRepository } from './repositories/snapshots.repository';
import { VolumesRepository } from './repositories/volumes.repository';
import { applyTransition } from './transition';

/** What of a backup says which volume (or snapshot of it) it reads. */
export type BackupSource = Pick<BackupEntity, 'id' | 'volume_id' | 'snapshot_id'>;

/**
 * Why the volume a backup reads (for a backup of a snapshot: the snapshot) is no longer held
 * `backing-up` for it (deleted, reset, or reset and backed up again), or null while it is. Locks
 * the volume's (snapshot's) row until the transaction ends, so the answer holds until then.
 */
export async function backupSourceLeft(
  tx: EntityManager,
  backup: BackupSource,
): Promise<string | null> {
  const taken = () => new BackupsRepository(tx).sourceTakenByOther(backup);
  if (backup.snapshot_id) {
    const id = backup.snapshot_id;
    const snapshot = await new SnapshotsRepository(tx).lockAny(id);
    if (!snapshot || snapshot.deleted) return `snapshot ${id} was deleted while the backup ran`;
    if (snapshot.status !== 'backing-up') {
      return `snapshot ${id} left backing-up (it is ${snapshot.status}) while the backup ran`;
    }
    if (await taken()) {
      return `snapshot ${id} was reset while the backup ran and another backup now reads it`;
    }
    return null;
  }
  const id = backup.volume_id;
  const volume = await new VolumesRepository(tx).lockAny(id);
  if (!volume || volume.deleted) return `volume ${id} was deleted while the backup ran`;
  if (volume.status !== 'backing-up') {
    return `volume ${id} left backing-up (it is ${volume.status}) while the backup ran`;
  }
  if (await taken()) {
    return `volume ${id} was reset while the backup ran and another backup now reads it`;
  }
  return null;
}

/**
 * The volume a backup held `backing-up` (for a backup of a snapshot: the snapshot) is what it
 * was before: Cinder's previous_status, `available` or `in-use`. Only while it is held for this
 * backup (backupSourceLeft, in the same transaction).
 */
export async function returnBackupSource(tx: EntityManager, backup: BackupSource): Promise<void> {
  if (backup.snapshot_id) {
    await applyTransition(tx, {
      machine: snapshotMachine,
      entity: SnapshotEntity,
      id: backup.snapshot_id,
      event: 'backup_finished',
    });
    return;
  }
  await applyTransition(tx, {
    machine: volumeMachine,
    entity: VolumeEntity,
    id: backup.volume_id,
    event: 'backup_finished',
  });
}
