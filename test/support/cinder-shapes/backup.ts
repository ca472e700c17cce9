import {
  atLeast,
  boolean,
  collection,
  envelope,
  integer,
  integerOrNull,
  type JsonSchema,
  object,
  resourceLinks,
  string,
  stringMap,
  stringOrNull,
  timestamp,
  timestampOrNull,
  uuid,
  uuidOrNull,
} from './common';

/**
 * Backups: api-ref/source/v3/ext-backups.inc, samples/backups, cinder/api/views/backups.py,
 * cinder/api/v3/views/backups.py and cinder/api/v3/backups.py (project and user attributes,
 * policy backup:backup_project_attribute: admin by default).
 */

export function backupSummarySchema(): JsonSchema {
  return object({ id: uuid, name: stringOrNull, links: resourceLinks });
}

export function backupDetailSchema(version: string, isAdmin: boolean): JsonSchema {
  const fields: Record<string, JsonSchema> = {
    id: uuid,
    status: string,
    size: integer,
    object_count: integerOrNull,
    availability_zone: stringOrNull,
    container: stringOrNull,
    created_at: timestamp,
    updated_at: timestampOrNull,
    name: stringOrNull,
    description: stringOrNull,
    fail_reason: stringOrNull,
    volume_id: uuid,
    links: resourceLinks,
    is_incremental: boolean,
    has_dependent_backups: boolean,
    snapshot_id: uuidOrNull,
    data_timestamp: timestampOrNull,
  };
  const optional: Record<string, JsonSchema> = {};
  if (atLeast(version, '3.18') && isAdmin) fields['os-backup-project-attr:project_id'] = string;
  if (atLeast(version, '3.43')) fields.metadata = stringMap;
  if (atLeast(version, '3.56') && isAdmin) fields.user_id = string;
  // Only for an encrypted backup with a real key.
  if (atLeast(version, '3.64')) optional.encryption_key_id = uuid;
  return object(fields, optional);
}

/** POST /backups (202): the summary view. */
export function backupCreateBody(): JsonSchema {
  return envelope('backup', backupSummarySchema());
}

/** GET /backups/{id}. */
export function backupShowBody(version: string, isAdmin: boolean): JsonSchema {
  return envelope('backup', backupDetailSchema(version, isAdmin));
}

/** GET /backups. */
export function backupListBody(version: string): JsonSchema {
  return collection('backups', backupSummarySchema(), {
    links: true,
    count: atLeast(version, '3.45'),
  });
}

/** GET /backups/detail. */
export function backupDetailListBody(version: string, isAdmin: boolean): JsonSchema {
  return collection('backups', backupDetailSchema(version, isAdmin), {
    links: true,
    count: atLeast(version, '3.45'),
  });
}

/** POST /backups/{id}/restore (202). */
export function backupRestoreBody(): JsonSchema {
  return envelope(
    'restore',
    object({ backup_id: uuid, volume_id: uuid, volume_name: stringOrNull }),
  );
}
