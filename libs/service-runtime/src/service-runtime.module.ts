import { type DynamicModule, Module } from '@nestjs/common';
import type { CommonConfig } from '@cinderflow/config';
import type { Logger } from '@cinderflow/logging';
import type { ServiceIdentity } from '@cinderflow/persistence';
import { CoreModule } from './core.module';
import { DatabaseModule } from './database.module';
import { LogLevelsController } from './log-levels.controller';
import { OutboxModule } from './outbox.module';
import { ServiceLifecycle } from './service-lifecycle';
import { SERVICE_IDENTITY } from './tokens';

export interface RuntimeOptions {
  config: CommonConfig;
  logger: Logger;
  /** Database connections this process may hold. */
  poolSize: number;
  /** How the service appears in `services`; absent for cinder-api, which does not register. */
  identity?: ServiceIdentity;
}

/**
 * What every service's root module imports: config, logger, RPC client, database, outbox,
 * heartbeat.
 */
@Module({})
export class ServiceRuntimeModule {
  static forRoot({ config, logger, poolSize, identity }: RuntimeOptions): DynamicModule {
    return {
      module: ServiceRuntimeModule,
      imports: [
        CoreModule.forRoot(config, logger),
        DatabaseModule.forRoot(config.DATABASE_URL, poolSize),
        OutboxModule,
      ],
      providers: identity
        ? [{ provide: SERVICE_IDENTITY, useValue: identity }, ServiceLifecycle]
        : [],
      // A registered service answers set-log / get-log on its own queue (see runService).
      controllers: identity ? [LogLevelsController] : [],
    };
  }
}
