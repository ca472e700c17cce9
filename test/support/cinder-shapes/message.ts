import {
  atLeast,
  collection,
  envelope,
  type JsonSchema,
  object,
  resourceLinks,
  string,
  stringOrNull,
  timestamp,
  timestampOrNull,
  uuid,
} from './common';

/**
 * User messages (3.3+): api-ref/source/v3/messages.inc, samples/messages-*.json,
 * cinder/api/v3/views/messages.py: resource_type and resource_uuid only when set.
 */
export function messageSchema(): JsonSchema {
  return object(
    {
      id: uuid,
      event_id: string,
      user_message: string,
      message_level: string,
      created_at: timestamp,
      guaranteed_until: timestampOrNull,
      request_id: stringOrNull,
      links: resourceLinks,
    },
    { resource_type: string, resource_uuid: uuid },
  );
}

export function messageShowBody(): JsonSchema {
  return envelope('message', messageSchema());
}

/** GET /messages: paged from 3.5 (`messages_links` on a full page). */
export function messageListBody(version: string): JsonSchema {
  return collection('messages', messageSchema(), { links: atLeast(version, '3.5') });
}
