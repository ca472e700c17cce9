import {
  boolean,
  collection,
  envelope,
  type JsonSchema,
  object,
  string,
  stringMap,
  stringOrNull,
  uuid,
  uuidOrNull,
} from './common';

/**
 * Volume types: api-ref/source/v3/volumes-v3-types.inc, samples/volume_type,
 * cinder/api/v3/views/types.py (show, index, default), cinder/api/views/types.py (the
 * types_manage create answer), the volume_type_access extension
 * (`os-volume-type-access:is_public`), and the policies in cinder/policies/volume_type.py and
 * type_extra_specs.py:
 *  - volume_extension:access_types_extra_specs (project reader): `extra_specs` for everyone,
 *    but only the user-visible keys unless types_extra_specs:read_sensitive (admin);
 *  - volume_extension:access_types_qos_specs_id (admin): `qos_specs_id`.
 */

/** type_extra_specs.USER_VISIBLE_EXTRA_SPECS. */
const USER_VISIBLE_EXTRA_SPECS = [
  'RESKEY:availability_zones',
  'multiattach',
  'replication_enabled',
];

function extraSpecs(isAdmin: boolean): JsonSchema {
  if (isAdmin) return stringMap;
  return {
    type: 'object',
    properties: Object.fromEntries(USER_VISIBLE_EXTRA_SPECS.map((k) => [k, string])),
    additionalProperties: false,
  };
}

/**
 * The v3 view: GET /types, /types/{id}, /types/default. The volume_type_access extension finds
 * the type it extends by the id in the URL, so GET /types/default (id "default") has no
 * `os-volume-type-access:is_public` (samples/volume_type/volume-type-default-response.json).
 */
export function volumeTypeSchema(
  _version: string,
  isAdmin: boolean,
  { isDefault = false }: { isDefault?: boolean } = {},
): JsonSchema {
  const fields: Record<string, JsonSchema> = {
    id: uuid,
    name: string,
    is_public: boolean,
    description: stringOrNull,
    extra_specs: extraSpecs(isAdmin),
  };
  if (!isDefault) fields['os-volume-type-access:is_public'] = boolean;
  if (isAdmin) fields.qos_specs_id = uuidOrNull;
  return object(fields);
}

/** POST /types (admin only): the older view, which has no qos_specs_id. */
export function volumeTypeCreateBody(): JsonSchema {
  return envelope(
    'volume_type',
    object({
      id: uuid,
      name: string,
      is_public: boolean,
      extra_specs: stringMap,
      description: stringOrNull,
      'os-volume-type-access:is_public': boolean,
    }),
  );
}

export function volumeTypeShowBody(version: string, isAdmin: boolean): JsonSchema {
  return envelope('volume_type', volumeTypeSchema(version, isAdmin));
}

/** GET /types/default. */
export function volumeTypeDefaultBody(version: string, isAdmin: boolean): JsonSchema {
  return envelope('volume_type', volumeTypeSchema(version, isAdmin, { isDefault: true }));
}

/** GET /types: paged, so `volume_type_links` on a full page. */
export function volumeTypeListBody(version: string, isAdmin: boolean): JsonSchema {
  return collection('volume_types', volumeTypeSchema(version, isAdmin), {
    links: true,
    linksKey: 'volume_type_links',
  });
}

/**
 * GET /types/{id}/extra_specs (trimmed to the user-visible keys for non-admins, like the type
 * view), and POST /types/{id}/extra_specs (admin only: answers the specs it was sent).
 */
export function extraSpecsBody(isAdmin: boolean): JsonSchema {
  return object({ extra_specs: extraSpecs(isAdmin) });
}
