import type { EntityManager } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  AttachmentsRepository,
  NOW_UTC,
  RecordNotFoundError,
  StatusConflictError,
  VolumeAttachmentEntity,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import {
  attachmentMachine,
  type VolumeAttachEvent,
  volumeAttachMachine,
  type VolumeEvent,
  volumeMachine,
} from '@cinderflow/status-machines';

/**
 * Serialises attachment changes of one volume: the volume's status is computed from its
 * attachments, so two detaches must not each compute it from a state the other changes.
 */
export async function lockVolume(tx: EntityManager, volumeId: string): Promise<VolumeEntity> {
  const volume = await new VolumesRepository(tx).lockLive(volumeId);
  if (!volume) throw new RecordNotFoundError('volume', volumeId);
  return volume;
}

/**
 * The volume's status and attach status from the attachments it still has (Cinder's
 * _get_statuses_from_attachments): attached → in-use, else attaching, else reserved, else
 * available / detached. Error attachments don't count; one being detached is still attached.
 */
export function volumeEventFor(remaining: readonly { attach_status: string }[]): {
  event: VolumeEvent;
  attachEvent: VolumeAttachEvent;
} {
  const live = remaining.map((a) => a.attach_status).filter((s) => !s.startsWith('error'));
  if (live.includes('attached') || live.includes('detaching')) {
    return { event: 'attachments_remain', attachEvent: 'attachments_remain' };
  }
  if (live.includes('attaching')) {
    return { event: 'connections_pending', attachEvent: 'connections_pending' };
  }
  if (live.includes('reserved')) {
    return { event: 'reservations_remain', attachEvent: 'reservations_remain' };
  }
  return { event: 'last_attachment_gone', attachEvent: 'last_attachment_gone' };
}

/**
 * Detaches one attachment and recomputes its volume, in the caller's transaction (which holds
 * the volume's lock). A detach already done is a no-op.
 */
export async function detachAttachment(
  tx: EntityManager,
  volumeId: string,
  attachmentId: string,
  log: Logger,
): Promise<void> {
  try {
    await applyTransition(tx, {
      machine: attachmentMachine,
      entity: VolumeAttachmentEntity,
      column: 'attach_status',
      id: attachmentId,
      event: 'detach',
      set: { deleted: true, deleted_at: () => NOW_UTC, detach_time: () => NOW_UTC },
      where: { sql: 'volume_id = :volumeId', params: { volumeId } },
    });
  } catch (error) {
    if (error instanceof RecordNotFoundError) {
      log.info({ attachment_id: attachmentId }, 'attachment already detached');
      return;
    }
    throw error;
  }
  const remaining = await new AttachmentsRepository(tx).ofVolume(volumeId);
  const { event, attachEvent } = volumeEventFor(remaining);
  try {
    await applyTransition(tx, {
      machine: volumeMachine,
      entity: VolumeEntity,
      id: volumeId,
      event,
    });
    await applyTransition(tx, {
      machine: volumeAttachMachine,
      entity: VolumeEntity,
      column: 'attach_status',
      id: volumeId,
      event: attachEvent,
    });
  } catch (error) {
    // e.g. a volume an admin reset meanwhile: the attachment is gone all the same.
    if (!(error instanceof StatusConflictError)) throw error;
    log.warn({ volume_id: volumeId, status: error.current, event }, 'volume status left as it is');
  }
}
