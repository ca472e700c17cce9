import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { MessageEntity } from './entities/message.entity';

/**
 * User messages (Cinder's message API): the only place a user learns why an asynchronous
 * operation failed. Ids follow cinder/message/message_field.py.
 */
export const MessageActions = {
  SCHEDULE_ALLOCATE_VOLUME: { id: '001', text: 'schedule allocate volume' },
  BACKUP_CREATE: { id: '013', text: 'create backup' },
  BACKUP_DELETE: { id: '014', text: 'delete backup' },
  BACKUP_RESTORE: { id: '015', text: 'restore backup' },
} as const;

export const MessageDetails = {
  UNKNOWN_ERROR: { id: '001', text: 'An unknown error occurred.' },
  NO_BACKEND_AVAILABLE: { id: '003', text: 'Could not find any available weighted backend.' },
  BACKUP_INVALID_STATE: { id: '017', text: 'Backup status is invalid.' },
} as const;

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
    resourceType?: 'VOLUME' | 'BACKUP';
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
