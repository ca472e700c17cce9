import {
  atLeast,
  boolean,
  collection,
  envelope,
  integer,
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
 * Volumes: api-ref/source/v3/volumes-v3-volumes.inc and samples/volumes (v3.13 ... v3.69),
 * cinder/api/v3/views/volumes.py, and the contrib extensions that extend show and detail
 * (volume_tenant_attribute, volume_host_attribute, volume_mig_status_attribute,
 * volume_image_metadata).
 */

/** An attached attachment as the volume lists it (views/volumes.py _get_attachments). */
const volumeAttachment = object({
  id: uuid,
  attachment_id: uuid,
  volume_id: uuid,
  server_id: uuidOrNull,
  // The host only for admins (or the service role); null otherwise.
  host_name: stringOrNull,
  device: stringOrNull,
  attached_at: timestampOrNull,
});

export function volumeSummarySchema(): JsonSchema {
  return object({ id: uuid, name: stringOrNull, links: resourceLinks });
}

/**
 * The detail view. `extended`: the os-vol-* attributes that the contrib extensions add to
 * show and detail (list) answers, but not to create and update answers.
 */
export function volumeDetailSchema(
  version: string,
  isAdmin: boolean,
  { extended }: { extended: boolean },
): JsonSchema {
  const fields: Record<string, JsonSchema> = {
    id: uuid,
    status: string,
    size: integer,
    availability_zone: stringOrNull,
    created_at: timestamp,
    updated_at: timestampOrNull,
    name: stringOrNull,
    description: stringOrNull,
    volume_type: stringOrNull,
    snapshot_id: uuidOrNull,
    source_volid: uuidOrNull,
    metadata: stringMap,
    links: resourceLinks,
    user_id: string,
    bootable: { enum: ['true', 'false'] },
    encrypted: boolean,
    replication_status: stringOrNull,
    consistencygroup_id: uuidOrNull,
    multiattach: boolean,
    attachments: { type: 'array', items: volumeAttachment },
  };
  const optional: Record<string, JsonSchema> = {
    // Only when the volume has image metadata (volume_image_metadata extension).
    ...(extended ? { volume_image_metadata: stringMap } : {}),
  };
  if (isAdmin) fields.migration_status = stringOrNull;
  if (atLeast(version, '3.13')) fields.group_id = uuidOrNull;
  if (atLeast(version, '3.21') && isAdmin) fields.provider_id = stringOrNull;
  if (atLeast(version, '3.48')) {
    // Before 3.69 a null shared_targets is shown as true.
    fields.shared_targets = atLeast(version, '3.69') ? { type: ['boolean', 'null'] } : boolean;
    fields.service_uuid = stringOrNull;
  }
  if (atLeast(version, '3.61') && isAdmin) fields.cluster_name = stringOrNull;
  if (atLeast(version, '3.63')) fields.volume_type_id = uuid;
  // Only for an encrypted volume with a real key.
  if (atLeast(version, '3.64')) optional.encryption_key_id = uuid;
  if (atLeast(version, '3.65')) fields.consumes_quota = boolean;
  if (extended) {
    fields['os-vol-tenant-attr:tenant_id'] = string;
    if (isAdmin) {
      fields['os-vol-host-attr:host'] = stringOrNull;
      fields['os-vol-mig-status-attr:migstat'] = stringOrNull;
      fields['os-vol-mig-status-attr:name_id'] = uuidOrNull;
    }
  }
  return object(fields, optional);
}

/** POST /volumes (202) and PUT /volumes/{id}: the detail view without the extensions. */
export function volumeCreateOrUpdateBody(version: string, isAdmin: boolean): JsonSchema {
  return envelope('volume', volumeDetailSchema(version, isAdmin, { extended: false }));
}

/** GET /volumes/{id}. */
export function volumeShowBody(version: string, isAdmin: boolean): JsonSchema {
  return envelope('volume', volumeDetailSchema(version, isAdmin, { extended: true }));
}

/** GET /volumes. */
export function volumeListBody(version: string): JsonSchema {
  return collection('volumes', volumeSummarySchema(), {
    links: true,
    count: atLeast(version, '3.45'),
  });
}

/** GET /volumes/detail. */
export function volumeDetailListBody(version: string, isAdmin: boolean): JsonSchema {
  return collection('volumes', volumeDetailSchema(version, isAdmin, { extended: true }), {
    links: true,
    count: atLeast(version, '3.45'),
  });
}
