import { type JsonSchema, object, string } from './common';

/**
 * scheduler-stats/get_pools (admin only): api-ref/source/v3/os-vol-pool-v3.inc,
 * samples/pools-list-detailed-response.json, cinder/api/views/scheduler_stats.py. The
 * capabilities are whatever the backend reported, so they are an open object.
 */
export function poolListBody(detail: boolean): JsonSchema {
  const pool = detail
    ? object({ name: string, capabilities: { type: 'object' } })
    : object({ name: string });
  return object({ pools: { type: 'array', items: pool } });
}
