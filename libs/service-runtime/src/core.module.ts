import {
  type DynamicModule,
  Global,
  Inject,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { CommonConfig } from '@cinderflow/config';
import type { Logger } from '@cinderflow/logging';
import { AmqpTopology, RpcClient } from '@cinderflow/messaging';
import { CONFIG, LOGGER, RPC_CLIENT } from './tokens';

/** What every service shares: its validated config, its logger and its RPC client. */
@Global()
@Module({})
export class CoreModule implements OnApplicationShutdown {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  static forRoot(config: CommonConfig, logger: Logger): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        {
          provide: RPC_CLIENT,
          useFactory: async () => {
            const client = new RpcClient(
              config.AMQP_URL,
              new AmqpTopology(config.AMQP_PREFIX),
              logger,
            );
            await client.waitForConnect();
            return client;
          },
        },
      ],
      exports: [CONFIG, LOGGER, RPC_CLIENT],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.rpc.close();
  }
}
