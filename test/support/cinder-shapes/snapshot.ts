import {
  atLeast,
  boolean,
  collection,
  envelope,
  integer,
  type JsonSchema,
  object,
  string,
  stringMap,
  stringOrNull,
  timestamp,
  timestampOrNull,
  uuid,
  uuidOrNull,
} from './common';

/**
 * Snapshots: api-ref/source/v3/volumes-v3-snapshots.inc, samples/snapshots (v3.14, v3.41,
 * v3.65), cinder/api/views/snapshots.py, cinder/api/v3/views/snapshots.py and the
 * extended_snapshot_attributes extension (show and detail list; policy
 * volume_extension:extended_snapshot_attributes, admin or owner, so every caller who can see
 * the snapshot).
 */

/** The summary view: what GET /snapshots lists (no links, unlike volumes). */
export function snapshotSummarySchema(): JsonSchema {
  return object(summaryFields());
}

function summaryFields(): Record<string, JsonSchema> {
  return {
    id: uuid,
    created_at: timestamp,
    updated_at: timestampOrNull,
    name: stringOrNull,
    description: stringOrNull,
    volume_id: uuid,
    status: string,
    size: integer,
    metadata: stringMap,
  };
}

/**
 * The detail view. `extended`: the os-extended-snapshot-attributes the extension adds to
 * show and detail list answers (not to create and update answers).
 */
export function snapshotDetailSchema(
  version: string,
  _isAdmin: boolean,
  { extended }: { extended: boolean },
): JsonSchema {
  const fields = summaryFields();
  if (atLeast(version, '3.14')) fields.group_snapshot_id = uuidOrNull;
  if (atLeast(version, '3.41')) fields.user_id = string;
  if (atLeast(version, '3.65')) fields.consumes_quota = boolean;
  if (extended) {
    fields['os-extended-snapshot-attributes:project_id'] = string;
    fields['os-extended-snapshot-attributes:progress'] = stringOrNull;
  }
  return object(fields);
}

/** POST /snapshots (202) and PUT /snapshots/{id}. */
export function snapshotCreateOrUpdateBody(version: string, isAdmin: boolean): JsonSchema {
  return envelope('snapshot', snapshotDetailSchema(version, isAdmin, { extended: false }));
}

/** GET /snapshots/{id}. */
export function snapshotShowBody(version: string, isAdmin: boolean): JsonSchema {
  return envelope('snapshot', snapshotDetailSchema(version, isAdmin, { extended: true }));
}

/** GET /snapshots. */
export function snapshotListBody(version: string): JsonSchema {
  return collection('snapshots', snapshotSummarySchema(), {
    links: true,
    count: atLeast(version, '3.45'),
  });
}

/** GET /snapshots/detail. */
export function snapshotDetailListBody(version: string, isAdmin: boolean): JsonSchema {
  return collection('snapshots', snapshotDetailSchema(version, isAdmin, { extended: true }), {
    links: true,
    count: atLeast(version, '3.45'),
  });
}

/** GET/POST/PUT /snapshots/{id}/metadata. */
export function snapshotMetadataBody(): JsonSchema {
  return object({ metadata: stringMap });
}

/** GET/PUT /snapshots/{id}/metadata/{key}: `{"meta": {"<key>": "<value>"}}`. */
export function snapshotMetadataKeyBody(): JsonSchema {
  return object({
    meta: { type: 'object', additionalProperties: string, minProperties: 1, maxProperties: 1 },
  });
}
