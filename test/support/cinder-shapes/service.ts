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
