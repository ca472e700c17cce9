import type { Request } from 'express';
import type { BackupEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { resourceLinks, timestamp } from '../common/links';
import { allows } from '../common/policy';
import type { ApiVersion } from '../common/microversion';

export function backupSummary(req: Request, b: BackupEntity) {
  return {
    id: b.id,
    links: resourceLinks(req, b.project_id, 'backups', b.id),
    name: b.display_name,
  };
}

/**
 * cinder/api/v3/views/backups.py detail, with cinder/api/v3/backups.py's project and user
 * attributes (policy backup:backup_project_attribute: admins only). `encryption_key_id` (3.64)
 * appears only for encrypted volumes' backups, which this deployment does not make.
 */
export function backupDetail(
  req: Request,
  b: BackupEntity,
  caller: RequestContext,
  version: ApiVersion,
) {
  const view: Record<string, unknown> = {
    id: b.id,
    status: b.status,
    size: b.size,
    object_count: b.object_count,
    availability_zone: b.availability_zone,
    container: b.container,
    created_at: timestamp(b.created_at),
    updated_at: timestamp(b.updated_at),
    name: b.display_name,
    description: b.display_description,
    fail_reason: b.fail_reason,
    volume_id: b.volume_id,
    links: resourceLinks(req, b.project_id, 'backups', b.id),
    is_incremental: b.parent_id !== null,
    has_dependent_backups: b.num_dependent_backups > 0,
    snapshot_id: b.snapshot_id,
    data_timestamp: timestamp(b.data_timestamp),
  };
  const attributes = allows(caller, 'backup:backup_project_attribute');
  if (version.atLeast('3.18') && attributes) {
    view['os-backup-project-attr:project_id'] = b.project_id;
  }
  if (version.atLeast('3.43')) view.metadata = b.metadata;
  if (version.atLeast('3.56') && attributes) view.user_id = b.user_id;
  return view;
}
