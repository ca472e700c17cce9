import type { VolumeAttachmentEntity } from '@cinderflow/persistence';
import { timestamp } from '../common/links';

/** cinder/api/v3/views/attachments.py: summary and detail. */
export function attachmentSummary(a: VolumeAttachmentEntity) {
  return { id: a.id, status: a.attach_status, instance: a.instance_uuid, volume_id: a.volume_id };
}

export function attachmentDetail(a: VolumeAttachmentEntity) {
  return {
    ...attachmentSummary(a),
    attached_at: timestamp(a.attach_time) ?? '',
    detached_at: timestamp(a.detach_time) ?? '',
    // Cinder stores the string 'null' until an attach picks rw or ro (attachments.py create).
    attach_mode: a.attach_mode ?? 'null',
    connection_info: a.connection_info ?? {},
  };
}

/** An attached attachment as the volume view lists it. */
export function volumeAttachmentItem(a: VolumeAttachmentEntity, showHost: boolean) {
  return {
    id: a.volume_id,
    attachment_id: a.id,
    volume_id: a.volume_id,
    server_id: a.instance_uuid,
    host_name: showHost ? a.attached_host : null,
    device: a.mountpoint,
    attached_at: timestamp(a.attach_time),
  };
}
