import {
  Global,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { CommonConfig } from '@cinderflow/config';
import type { Logger } from '@cinderflow/logging';
import { Outbox, OutboxRelay, type RpcClient } from '@cinderflow/messaging';
import { CONFIG, LOGGER, OUTBOX, RPC_CLIENT } from './tokens';

/** Runs this process's outbox relay from start to shutdown. */
@Injectable()
class OutboxRelayLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly relay: OutboxRelay;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(RPC_CLIENT) rpc: RpcClient,
    @Inject(OUTBOX) outbox: Outbox,
    @Inject(LOGGER) logger: Logger,
    @Inject(CONFIG) config: CommonConfig,
  ) {
    this.relay = new OutboxRelay(dataSource, rpc, outbox, logger, {
      pollMs: 500,
      batchSize: 100,
      duplicateRate: config.FAULT_DUPLICATE_CASTS,
    });
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
  }
}

/** The transactional outbox (`OUTBOX`) every service sends its state-carrying casts through. */
@Global()
@Module({
  providers: [
    { provide: OUTBOX, inject: [DataSource], useFactory: (ds: DataSource) => new Outbox(ds) },
    OutboxRelayLifecycle,
  ],
  exports: [OUTBOX],
})
export class OutboxModule {}
