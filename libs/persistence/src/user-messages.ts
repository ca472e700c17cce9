import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { MessageEntity } from './entities/message.entity';

/**
 * User messages (Cinder's message API): the only place a user learns why an asynchronous
 * operation failed. Ids follow cinder/message/message_field.py.
 */
export const MessageActions = {
  SCHEDULE_ALLOCATE_VOLUME: { id: '001', text: 'schedule allocate volume' },
  ATTACH_VOLUME: { id: '002', text: 'attach volume' },
  COPY_VOLUME_TO_IMAGE: { id: '003', text: 'copy volume to image' },
  UPDATE_ATTACHMENT: { id: '004', text: 'update attachment' },
  COPY_IMAGE_TO_VOLUME: { id: '005', text: 'copy image to volume' },
  UNMANAGE_VOLUME: { id: '006', text: 'unmanage volume' },
  EXTEND_VOLUME: { id: '007', text: 'extend volume' },
  CREATE_VOLUME_FROM_BACKEND: { id: '008', text: 'create volume from backend storage' },
  SNAPSHOT_CREATE: { id: '009', text: 'create snapshot' },
  SNAPSHOT_DELETE: { id: '010', text: 'delete snapshot' },
  SNAPSHOT_UPDATE: { id: '011', text: 'update snapshot' },
  SNAPSHOT_METADATA_UPDATE: { id: '012', text: 'update snapshot metadata' },
  BACKUP_CREATE: { id: '013', text: 'create backup' },
  BACKUP_DELETE: { id: '014', text: 'delete backup' },
  BACKUP_RESTORE: { id: '015', text: 'restore backup' },
} as const;

export const MessageDetails = {
  UNKNOWN_ERROR: { id: '001', text: 'An unknown error occurred.' },
  NO_BACKEND_AVAILABLE: { id: '003', text: 'Could not find any available weighted backend.' },
  NOT_ENOUGH_SPACE_FOR_IMAGE: {
    id: '007',
    text: 'Image used for creating volume exceeds available space.',
  },
  FAILED_TO_UPLOAD_VOLUME: { id: '004', text: 'Failed to upload volume to image at backend.' },
  DRIVER_FAILED_EXTEND: { id: '010', text: 'Volume Driver failed to extend volume.' },
  DRIVER_FAILED_CREATE: { id: '012', text: 'Driver failed to create the volume.' },
  SNAPSHOT_CREATE_ERROR: { id: '013', text: 'Snapshot failed to create.' },
  SNAPSHOT_IS_BUSY: { id: '015', text: 'Snapshot is busy.' },
  SNAPSHOT_DELETE_ERROR: { id: '016', text: 'Snapshot failed to delete.' },
  BACKUP_INVALID_STATE: { id: '017', text: 'Backup status is invalid.' },
  VOLUME_INVALID_STATE: { id: '027', text: 'Volume status is invalid.' },
} as const;

/** What a message is about (cinder/message/message_field.py Resource). */
export type MessageResource = 'VOLUME' | 'VOLUME_SNAPSHOT' | 'VOLUME_BACKUP';

export type MessageAction = (typeof MessageActions)[keyof typeof MessageActions];
export type MessageDetail = (typeof MessageDetails)[keyof typeof MessageDetails];

/** Cinder's message_ttl default. */
const MESSAGE_TTL_S = 2_592_000;

export async function recordUserMessage(
  manager: EntityManager,
  message: {
    projectId: string;
    requestId: string;
    resourceUuid: string;
    action: MessageAction;
    detail: MessageDetail;
    /** The specifics (which backends failed and why), kept for operators. */
    explanation?: string;
    /** What the message is about (Cinder's message_field.Resource): a volume unless said. */
    resourceType?: MessageResource;
  },
): Promise<void> {
  const resourceType = message.resourceType ?? 'VOLUME';
  const now = new Date();
  await manager.insert(MessageEntity, {
    id: randomUUID(),
    project_id: message.projectId,
    request_id: message.requestId,
    resource_type: resourceType,
    resource_uuid: message.resourceUuid,
    event_id: `VOLUME_${resourceType}_${message.action.id}_${message.detail.id}`,
    message_level: 'ERROR',
    action_id: message.action.id,
    detail_id: message.detail.id,
    detail: message.explanation ?? null,
    created_at: now,
    expires_at: new Date(now.getTime() + MESSAGE_TTL_S * 1000),
  });
}

export function userMessageText(action: Pick<MessageEntity, 'action_id' | 'detail_id'>): string {
  const a = Object.values(MessageActions).find((x) => x.id === action.action_id);
  const d = Object.values(MessageDetails).find((x) => x.id === action.detail_id);
  return `${a?.text ?? 'unknown action'}: ${d?.text ?? MessageDetails.UNKNOWN_ERROR.text}`;
}
