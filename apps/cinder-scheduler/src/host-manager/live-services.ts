import type { DataSource } from 'typeorm';
import { Binaries } from '@cinderflow/contracts';
import { isServiceUp, ServiceRegistry } from '@cinderflow/persistence';

/** How long after its last heartbeat a backend still counts as one that may come back soon. */
const RECENT_FACTOR = 10;

/**
 * The enabled, unfrozen cinder-volume services (Cinder's host manager asks for
 * `disabled: False, frozen: False`) whose heartbeat is fresh (`live`), and those whose
 * heartbeat went stale only recently (`recentlyDown`: within ten down-times). After a database
 * or broker outage every heartbeat may be stale for a few seconds; those backends are worth
 * waiting for, one silent for hours is not.
 */
export async function volumeServicesByLiveness(
  dataSource: DataSource,
  downTimeS: number,
): Promise<{ live: Set<string>; recentlyDown: Set<string> }> {
  const now = new Date();
  const services = await new ServiceRegistry(dataSource).list({ binary: Binaries.volume });
  const enabled = services.filter((s) => !s.disabled && !s.frozen);
  return {
    live: new Set(enabled.filter((s) => isServiceUp(s, now, downTimeS)).map((s) => s.host)),
    recentlyDown: new Set(
      enabled
        .filter((s) => !isServiceUp(s, now, downTimeS))
        .filter((s) => isServiceUp(s, now, downTimeS * RECENT_FACTOR))
        .map((s) => s.host),
    ),
  };
}
