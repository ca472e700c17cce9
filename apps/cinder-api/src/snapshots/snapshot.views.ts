import type { SnapshotEntity } from '@cinderflow/persistence';
import { timestamp } from '../common/links';
import type { ApiVersion } from '../common/microversion';

/** cinder/api/views/snapshots.py `summary` (the list's items). */
export function snapshotSummary(snapshot: SnapshotEntity) {
  return {
    id: snapshot.id,
    created_at: timestamp(snapshot.created_at),
    updated_at: timestamp(snapshot.updated_at),
    name: snapshot.display_name,
    description: snapshot.display_description,
    volume_id: snapshot.volume_id,
    status: snapshot.status,
    size: snapshot.volume_size,
    metadata: snapshot.metadata ?? {},
  };
}

/**
 * cinder/api/v3/views/snapshots.py `detail` per microversion. `extended`: the keys
 * os-extended-snapshot-attributes adds to show and the detailed list (not to create or update).
 */
export function snapshotDetail(snapshot: SnapshotEntity, version: ApiVersion, extended: boolean) {
  const view: Record<string, unknown> = snapshotSummary(snapshot);
  if (version.atLeast('3.14')) view.group_snapshot_id = snapshot.group_snapshot_id;
  if (version.atLeast('3.41')) view.user_id = snapshot.user_id;
  if (version.atLeast('3.65')) view.consumes_quota = snapshot.use_quota;
  if (extended) {
    view['os-extended-snapshot-attributes:project_id'] = snapshot.project_id;
    view['os-extended-snapshot-attributes:progress'] = snapshot.progress;
  }
  return view;
}
