import type { DataSource } from 'typeorm';
import { Binaries } from '@cinderflow/contracts';
import { isServiceUp, ServiceRegistry } from '@cinderflow/persistence';

/** The cinder-volume services that are enabled and whose heartbeat is fresh. */
export async function liveVolumeServices(
  dataSource: DataSource,
  downTimeS: number,
): Promise<Set<string>> {
  const now = new Date();
  const services = await new ServiceRegistry(dataSource).list({ binary: Binaries.volume });
  return new Set(
    services.filter((s) => !s.disabled && isServiceUp(s, now, downTimeS)).map((s) => s.host),
  );
}
