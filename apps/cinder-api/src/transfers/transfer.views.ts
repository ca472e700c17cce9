import type { Request } from 'express';
import type { TransferEntity } from '@cinderflow/persistence';
import { resourceLinks, timestamp } from '../common/links';
import type { ApiVersion } from '../common/microversion';

/** Cinder's view names the legacy collection in every transfer's links, on either route. */
const COLLECTION = 'os-volume-transfer';

/** cinder/api/views/transfers.py `summary` (list items, and the accept answer). */
export function transferSummary(req: Request, projectId: string, t: TransferEntity) {
  return {
    id: t.id,
    volume_id: t.volume_id,
    name: t.display_name,
    links: resourceLinks(req, projectId, COLLECTION, t.id),
  };
}

/** cinder/api/views/transfers.py `detail` per microversion (3.55 no_snapshots, 3.57 history). */
export function transferDetail(
  req: Request,
  projectId: string,
  t: TransferEntity,
  version: ApiVersion,
) {
  const view: Record<string, unknown> = {
    id: t.id,
    created_at: timestamp(t.created_at),
    name: t.display_name,
    volume_id: t.volume_id,
    links: resourceLinks(req, projectId, COLLECTION, t.id),
  };
  if (version.atLeast('3.55')) view.no_snapshots = t.no_snapshots;
  if (version.atLeast('3.57')) {
    view.destination_project_id = t.destination_project_id;
    view.source_project_id = t.source_project_id;
    view.accepted = t.accepted;
  }
  return view;
}

/** cinder/api/views/transfers.py `create`: the detail with the auth key, shown this once. */
export function transferCreated(
  req: Request,
  projectId: string,
  t: TransferEntity & { auth_key: string },
  version: ApiVersion,
) {
  const { links, ...rest } = transferDetail(req, projectId, t, version);
  return { ...rest, auth_key: t.auth_key, links };
}
