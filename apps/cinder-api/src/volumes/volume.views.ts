import type { Request } from 'express';
import type { VolumeAttachmentEntity, VolumeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { resourceLinks, timestamp } from '../common/links';
import type { ApiVersion } from '../common/microversion';
import { allows } from '../common/policy';
import { volumeAttachmentItem } from '../attachments/attachment.views';

export interface VolumeViewInput {
  volume: VolumeEntity;
  volumeTypeName: string;
  /** Its attached attachments (the volume view lists only those). */
  attachments?: VolumeAttachmentEntity[];
  /** Its image metadata (volume_glance_metadata): shown by show and detail when there is some. */
  imageMetadata?: Record<string, string>;
}

export function volumeSummary(req: Request, volume: VolumeEntity) {
  return {
    id: volume.id,
    links: resourceLinks(req, volume.project_id, 'volumes', volume.id),
    name: volume.display_name,
  };
}

/**
 * The detail view (cinder/api/v3/views/volumes.py). `extended` adds the os-vol-* attributes
 * that show and detail carry but the create response does not.
 */
export function volumeDetail(
  req: Request,
  { volume, volumeTypeName, attachments = [], imageMetadata }: VolumeViewInput,
  caller: RequestContext,
  version: ApiVersion,
  extended: boolean,
) {
  const view: Record<string, unknown> = {
    id: volume.id,
    name: volume.display_name,
    description: volume.display_description,
    status: volume.status,
    size: volume.size,
    availability_zone: volume.availability_zone,
    created_at: timestamp(volume.created_at),
    updated_at: timestamp(volume.updated_at),
    volume_type: volumeTypeName,
    snapshot_id: volume.snapshot_id,
    source_volid: volume.source_volid,
    metadata: volume.metadata ?? {},
    links: resourceLinks(req, volume.project_id, 'volumes', volume.id),
    user_id: volume.user_id,
    bootable: volume.bootable ? 'true' : 'false',
    encrypted: false,
    replication_status: 'disabled',
    consistencygroup_id: null,
    multiattach: volume.multiattach,
    attachments: attachments.map((a) => volumeAttachmentItem(a, caller.isAdmin)),
  };
  if (caller.isAdmin) {
    view.migration_status = volume.migration_status;
  }
  if (version.atLeast('3.13')) view.group_id = null;
  if (version.atLeast('3.21') && caller.isAdmin) view.provider_id = null;
  if (version.atLeast('3.48')) {
    view.shared_targets = true;
    view.service_uuid = null;
  }
  if (version.atLeast('3.61') && caller.isAdmin) view.cluster_name = null;
  if (version.atLeast('3.63')) view.volume_type_id = volume.volume_type_id;
  if (version.atLeast('3.65')) view.consumes_quota = true;
  // The contrib extensions ask their rule with the caller's own project as the target
  // (context.authorize(..., fatal=False)).
  if (extended) {
    if (allows(caller, 'volume_extension:volume_tenant_attribute')) {
      view['os-vol-tenant-attr:tenant_id'] = volume.project_id;
    }
    if (allows(caller, 'volume_extension:volume_host_attribute')) {
      view['os-vol-host-attr:host'] = volume.host;
    }
    if (allows(caller, 'volume_extension:volume_mig_status_attribute')) {
      view['os-vol-mig-status-attr:migstat'] = volume.migration_status;
      view['os-vol-mig-status-attr:name_id'] = null;
    }
  }
  // contrib/volume_image_metadata.py extends show and detail only, and only when not empty.
  if (
    extended &&
    imageMetadata &&
    Object.keys(imageMetadata).length > 0 &&
    allows(caller, 'volume_extension:volume_image_metadata:show')
  ) {
    view.volume_image_metadata = imageMetadata;
  }
  return view;
}
