import { boolean, type JsonSchema, object, string } from './common';

/**
 * os-availability-zone: api-ref/source/v3/os-vol-availability-zone-v3.inc,
 * samples/availability-zone-list-response.json, cinder/api/views/availability_zones.py.
 */
export function availabilityZoneListBody(): JsonSchema {
  return object({
    availabilityZoneInfo: {
      type: 'array',
      items: object({ zoneName: string, zoneState: object({ available: boolean }) }),
    },
  });
}
