import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { VolumeConfig } from '@cinderflow/config';
import { type BackendCapabilities, Destinations, SchedulerRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import { systemContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER, RPC_CLIENT } from '@cinderflow/service-runtime';
import { VOLUME_DRIVER, type VolumeDriver } from '../drivers/volume-driver';
import { VOLUME_SERVICE, type VolumeServiceInfo } from '../volume-service.identity';

/** Cinder's _init_standard_capabilities (cinder/volume/driver.py). */
const STANDARD_PROPERTIES = {
  thin_provisioning: {
    title: 'Thin Provisioning',
    description: 'Sets thin provisioning.',
    type: 'boolean',
  },
  compression: { title: 'Compression', description: 'Enables compression.', type: 'boolean' },
  qos: { title: 'QoS', description: 'Enables QoS.', type: 'boolean' },
  replication_enabled: {
    title: 'Replication',
    description: 'Enables replication.',
    type: 'boolean',
  },
};

/** Tells every scheduler (fanout) what this backend offers, periodically and on request. */
@Injectable()
export class CapabilityReporter implements OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(VOLUME_SERVICE) private readonly service: VolumeServiceInfo,
    @Inject(CONFIG) private readonly config: VolumeConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(
      () => void this.report(),
      this.config.CAPABILITY_REPORT_INTERVAL_S * 1000,
    );
    this.timer.unref();
  }

  /** What the backend offers now, as the schedulers hear it. */
  async capabilities(): Promise<BackendCapabilities> {
    const stats = await this.driver.getVolumeStats();
    return {
      ...stats,
      volume_backend_name: this.service.backendName,
      reserved_percentage: this.config.RESERVED_PERCENTAGE,
      availability_zone: this.service.availabilityZone,
    };
  }

  /**
   * Cinder's driver.init_capabilities: the stats plus `properties`, the standard capabilities
   * (extra-spec keys) with their title, description and type.
   */
  async withProperties(): Promise<Record<string, unknown>> {
    return { ...(await this.capabilities()), properties: STANDARD_PROPERTIES };
  }

  async report(): Promise<void> {
    try {
      await this.rpc.cast(
        Destinations.schedulerFanout(),
        SchedulerRpc.updateServiceCapabilities,
        {
          service_host: this.service.serviceHost,
          timestamp: new Date().toISOString(),
          capabilities: await this.capabilities(),
        },
        systemContext('cinder-volume'),
      );
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'capability report failed');
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }
}
