import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CommonConfig } from '@cinderflow/config';
import type { Logger } from '@cinderflow/logging';
import type { ServiceIdentity } from '@cinderflow/persistence';
import { Heartbeat } from './heartbeat';
import type { RpcClient } from '@cinderflow/messaging';
import { CONFIG, LOGGER, RPC_CLIENT, SERVICE_IDENTITY } from './tokens';

/** Registers the service and heartbeats until shutdown. */
@Injectable()
export class ServiceLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly heartbeat: Heartbeat;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(SERVICE_IDENTITY) identity: ServiceIdentity,
    @Inject(CONFIG) config: CommonConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(RPC_CLIENT) rpc: RpcClient,
  ) {
    this.heartbeat = new Heartbeat(dataSource, identity, config.REPORT_INTERVAL_S, logger, () =>
      rpc.isConnected(),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.heartbeat.start();
  }

  onApplicationShutdown(): void {
    this.heartbeat.stop();
  }
}
