import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { VolumeConfig } from '@cinderflow/config';
import { Destinations, SchedulerRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import { systemContext } from '@cinderflow/request-context';
import { CONFIG, LOGGER, RPC_CLIENT } from '@cinderflow/service-runtime';
import { VOLUME_DRIVER, type VolumeDriver } from '../drivers/volume-driver';
import { VOLUME_SERVICE, type VolumeServiceInfo } from '../volume-service.identity';

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

  async report(): Promise<void> {
    try {
      const stats = await this.driver.getVolumeStats();
      await this.rpc.cast(
        Destinations.schedulerFanout(),
        SchedulerRpc.updateServiceCapabilities,
        {
          service_host: this.service.serviceHost,
          timestamp: new Date().toISOString(),
          capabilities: {
            ...stats,
            volume_backend_name: this.service.backendName,
            reserved_percentage: this.config.RESERVED_PERCENTAGE,
            availability_zone: this.service.availabilityZone,
          },
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
