import type { ApiConfig } from '@cinderflow/config';
import { QuotaEngine } from '@cinderflow/persistence';
import type { DataSource } from 'typeorm';

/** The quota engine with Cinder's configured defaults (quota_volumes, ...). */
export function quotaEngineOf(dataSource: DataSource, config: ApiConfig): QuotaEngine {
  return new QuotaEngine(dataSource, {
    volumes: config.QUOTA_VOLUMES,
    snapshots: config.QUOTA_SNAPSHOTS,
    gigabytes: config.QUOTA_GIGABYTES,
    backups: config.QUOTA_BACKUPS,
    backup_gigabytes: config.QUOTA_BACKUP_GIGABYTES,
    groups: config.QUOTA_GROUPS,
    per_volume_gigabytes: config.PER_VOLUME_SIZE_LIMIT,
  });
}

/** Cinder's reserve_opts for one volume with add_volume_type_opts (per-type resources by type name). */
export function volumeDeltas(size: number, typeName: string, sign = 1): Record<string, number> {
  return {
    volumes: sign,
    gigabytes: sign * size,
    [`volumes_${typeName}`]: sign,
    [`gigabytes_${typeName}`]: sign * size,
  };
}
