import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { Binaries } from '@cinderflow/contracts';
import { isServiceUp, ServiceRegistry } from '@cinderflow/persistence';
import { CONFIG } from '@cinderflow/service-runtime';

export interface ZoneState {
  name: string;
  available: boolean;
}

/** How long a zone list is reused (Cinder caches it for az_cache_duration, an hour). */
const CACHE_MS = 5_000;

/** Zones are where enabled cinder-volume services run (Cinder's list_availability_zones). */
@Injectable()
export class AvailabilityZonesService {
  private cached?: { at: number; zones: Promise<ZoneState[]> };

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  /** The zones, from a cache short enough that a new backend's zone is soon usable. */
  list(): Promise<ZoneState[]> {
    if (!this.cached || Date.now() - this.cached.at > CACHE_MS) {
      const zones = this.load();
      zones.catch(() => (this.cached = undefined));
      this.cached = { at: Date.now(), zones };
    }
    return this.cached.zones;
  }

  private async load(): Promise<ZoneState[]> {
    const services = await new ServiceRegistry(this.dataSource).list({ binary: Binaries.volume });
    const zones = new Map<string, boolean>();
    const now = new Date();
    for (const service of services.filter((s) => !s.disabled)) {
      const up = isServiceUp(service, now, this.config.SERVICE_DOWN_TIME_S);
      zones.set(service.availability_zone, (zones.get(service.availability_zone) ?? false) || up);
    }
    return [...zones].map(([name, available]) => ({ name, available }));
  }

  defaultZone(): string {
    return this.config.DEFAULT_AVAILABILITY_ZONE || this.config.AVAILABILITY_ZONE;
  }
}
