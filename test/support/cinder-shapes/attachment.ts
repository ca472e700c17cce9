import {
  collection,
  envelope,
  type JsonSchema,
  object,
  string,
  TIMESTAMP_PATTERN,
  uuid,
  uuidOrNull,
} from './common';

/**
 * Attachments (3.27+): api-ref/source/v3/attachments.inc, samples/attachment-*.json and
 * cinder/api/v3/views/attachments.py. The views have no `attachments_links`.
 */

/** attach_time/detach_time: '' while unset (_normalize), else a naive timestamp. */
const attachTime: JsonSchema = {
  type: 'string',
  anyOf: [{ const: '' }, { pattern: TIMESTAMP_PATTERN }],
};

export function attachmentSummarySchema(): JsonSchema {
  return object({
    id: uuid,
    status: string,
    instance: uuidOrNull,
    volume_id: uuid,
  });
}

export function attachmentDetailSchema(): JsonSchema {
  return object({
    id: uuid,
    status: string,
    instance: uuidOrNull,
    volume_id: uuid,
    attached_at: attachTime,
    detached_at: attachTime,
    // The string 'null' until an attach picks a mode (cinder/api/v3/attachments.py create).
    attach_mode: { enum: ['null', 'rw', 'ro'] },
    connection_info: { type: ['object', 'null'] },
  });
}

/** POST /attachments, GET and PUT /attachments/{id}. */
export function attachmentBody(): JsonSchema {
  return envelope('attachment', attachmentDetailSchema());
}

/** GET /attachments, and DELETE /attachments/{id} (the volume's remaining attachments). */
export function attachmentListBody(): JsonSchema {
  return collection('attachments', attachmentSummarySchema());
}

/** GET /attachments/detail. */
export function attachmentDetailListBody(): JsonSchema {
  return collection('attachments', attachmentDetailSchema());
}
