import type { VolumeEntity } from '@cinderflow/persistence';

/**
 * What a backup keeps of the volume besides its bytes, as Cinder's backup metadata (version 2,
 * cinder/backup/driver.py BackupMetadataAPI): the volume's own fields, its metadata key/values
 * and its image metadata (volume_glance_metadata), each tag only when there is some.
 */
export interface VolumeMeta {
  version: 2;
  'volume-base-metadata': Record<string, unknown>;
  'volume-metadata'?: Record<string, string>;
  'volume-glance-metadata'?: Record<string, string>;
}

/** Taken when the backup starts, from the volume row and its image metadata. */
export function captureVolumeMeta(
  volume: VolumeEntity,
  glanceMetadata: Record<string, string> = {},
): VolumeMeta {
  const { metadata, ...fields } = volume;
  return {
    version: 2,
    // Dates become ISO strings, as they would in any JSON.
    'volume-base-metadata': JSON.parse(JSON.stringify(fields)) as Record<string, unknown>,
    ...(Object.keys(metadata).length > 0 ? { 'volume-metadata': { ...metadata } } : {}),
    ...(Object.keys(glanceMetadata).length > 0
      ? { 'volume-glance-metadata': { ...glanceMetadata } }
      : {}),
  };
}

const isStringMap = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  Object.values(value).every((v) => typeof v === 'string');

/** Whether a backup's stored `volume_meta` has the shape above (old backups have none). */
export function isVolumeMeta(value: unknown): value is VolumeMeta {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  const base = m['volume-base-metadata'];
  const meta = m['volume-metadata'];
  const glance = m['volume-glance-metadata'];
  return (
    m.version === 2 &&
    typeof base === 'object' &&
    base !== null &&
    (meta === undefined || isStringMap(meta)) &&
    (glance === undefined || isStringMap(glance))
  );
}

/**
 * The image metadata a restore gives the target (_restore_vol_glance_meta): each backup of the
 * chain that recorded some replaces the target's, so the newest recorded set wins; null when
 * none did (the target's stays as it is). A restore that brings some makes the volume bootable.
 */
export function restoredGlanceMetadata(
  chain: (VolumeMeta | null)[],
): Record<string, string> | null {
  let restored: Record<string, string> | null = null;
  for (const meta of chain) restored = meta?.['volume-glance-metadata'] ?? restored;
  return restored && { ...restored };
}

type Restored = Pick<VolumeEntity, 'metadata'> &
  Partial<Pick<VolumeEntity, 'display_name' | 'display_description'>>;

/**
 * The target volume's fields after a restore, by Cinder's rules, applying what each backup of
 * the chain recorded, the full backup first:
 * - a name (with its description) comes back only onto a volume made for the restore
 *   (`restore_backup_<id>`) or one without a name — so the oldest recorded name wins;
 * - recorded metadata key/values replace the target's — so the newest recorded set wins;
 * - `src_backup_id` then records the backup when it came from another volume, or when the
 *   target already named a different one.
 */
export function restoredFields(
  chain: (VolumeMeta | null)[],
  target: Pick<VolumeEntity, 'id' | 'display_name' | 'display_description' | 'metadata'>,
  backup: { id: string; volume_id: string },
): Restored {
  let { display_name: name, display_description: description } = target;
  let renamed = false;
  let metadata = target.metadata;
  for (const meta of chain) {
    const base = meta?.['volume-base-metadata'] ?? {};
    const recorded = typeof base.display_name === 'string' ? base.display_name : '';
    if (recorded !== '' && (!name || name.startsWith('restore_backup_'))) {
      name = recorded;
      description = typeof base.display_description === 'string' ? base.display_description : null;
      renamed = true;
    }
    metadata = meta?.['volume-metadata'] ?? metadata;
  }
  metadata = { ...metadata };
  const previous = metadata.src_backup_id;
  if (backup.volume_id !== target.id || (previous !== undefined && previous !== backup.id)) {
    metadata.src_backup_id = backup.id;
  }
  return { metadata, ...(renamed ? { display_name: name, display_description: description } : {}) };
}
