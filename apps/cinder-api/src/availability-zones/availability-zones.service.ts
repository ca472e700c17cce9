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

/** Zones are where enabled cinder-volume services run (Cinder's list_availability_zones). */
@Injectable()
export class AvailabilityZonesService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  async list(): Promise<ZoneState[]> {
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
