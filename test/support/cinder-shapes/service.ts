import {
  atLeast,
  boolean,
  type JsonSchema,
  object,
  string,
  stringOrNull,
  timestampOrNull,
} from './common';

/**
 * os-services (admin only): api-ref/source/v3/os-services.inc, samples/services-list-response.json
 * and os-services/v3.32, v3.49; cinder/api/v3/services.py index. The os-extended-services
 * extension is always loaded, so `disabled_reason` is always there, and cinder-volume
 * services also carry replication_status, active_backend_id and frozen.
 */
function serviceSchema(version: string, isVolume: boolean): JsonSchema {
  const fields: Record<string, JsonSchema> = {
    binary: isVolume ? { const: 'cinder-volume' } : string,
    host: string,
    zone: string,
    status: { enum: ['enabled', 'disabled'] },
    state: { enum: ['up', 'down'] },
    updated_at: timestampOrNull,
    disabled_reason: stringOrNull,
  };
  if (atLeast(version, '3.7')) fields.cluster = stringOrNull;
  if (isVolume) {
    if (atLeast(version, '3.49')) fields.backend_state = { enum: ['up', 'down', null] };
    // Null for a service that has not reported it (samples/os-services/v3.49).
    fields.replication_status = stringOrNull;
    fields.active_backend_id = stringOrNull;
    fields.frozen = boolean;
  }
  return object(fields);
}

export function serviceListBody(version: string): JsonSchema {
  return object({
    services: {
      type: 'array',
      items: {
        if: { type: 'object', properties: { binary: { const: 'cinder-volume' } } },
        then: serviceSchema(version, true),
        else: serviceSchema(version, false),
      },
    },
  });
}

/**
 * PUT os-services/{enable,disable,disable-log-reason}: samples/os-services/service-*-response
 * and cinder/api/v3/services.py (the host, service and binary as sent; disabled_reason only
 * from disable-log-reason).
 */
export function serviceActionBody(withReason: boolean): JsonSchema {
  return object({
    host: string,
    service: string,
    binary: string,
    status: { enum: ['enabled', 'disabled'] },
    disabled: boolean,
    ...(withReason ? { disabled_reason: stringOrNull } : {}),
  });
}

/** PUT os-services/get-log (3.32): samples/os-services/v3.32/service-get-log-response.json. */
export function logLevelsBody(): JsonSchema {
  return object({
    log_levels: {
      type: 'array',
      items: object({
        host: string,
        binary: string,
        levels: { type: 'object', additionalProperties: string },
      }),
    },
  });
}

/** GET os-hosts: samples/hosts-list-response.json, cinder/api/contrib/hosts.py _list_hosts. */
export function hostListBody(): JsonSchema {
  return object({
    hosts: {
      type: 'array',
      items: object({
        host_name: string,
        service: string,
        zone: string,
        'service-status': { enum: ['available', 'unavailable'] },
        'service-state': { enum: ['enabled', 'disabled'] },
        'last-update': timestampOrNull,
      }),
    },
  });
}

/** GET os-hosts/{host}: samples/hosts-get-response.json (counts and GiB as strings). */
export function hostShowBody(): JsonSchema {
  const count = { type: 'string', pattern: '^\\d+$' };
  return object({
    host: {
      type: 'array',
      minItems: 1,
      items: object({
        resource: object({
          host: string,
          project: string,
          volume_count: count,
          total_volume_gb: count,
          snapshot_count: count,
          total_snapshot_gb: count,
        }),
      }),
    },
  });
}

/** GET capabilities/{host}: samples/backend-capabilities-response.json, views/capabilities.py. */
export function capabilitiesBody(): JsonSchema {
  return object({
    namespace: string,
    vendor_name: stringOrNull,
    volume_backend_name: stringOrNull,
    pool_name: stringOrNull,
    driver_version: stringOrNull,
    storage_protocol: stringOrNull,
    display_name: stringOrNull,
    description: stringOrNull,
    visibility: stringOrNull,
    replication_targets: { type: 'array' },
    properties: {
      type: ['object', 'null'],
      // driver._set_property: title, description, type; enum, default, minimum, maximum may be.
      additionalProperties: object(
        { title: string, description: string, type: string },
        { enum: { type: 'array' }, default: {}, minimum: {}, maximum: {} },
      ),
    },
  });
}

/** GET extensions: samples/extensions/extensions-list-response.json, api/extensions.py. */
export function extensionListBody(): JsonSchema {
  return object({
    extensions: {
      type: 'array',
      items: object({
        name: string,
        alias: string,
        description: string,
        updated: string,
        links: { type: 'array', maxItems: 0 },
      }),
    },
  });
}
