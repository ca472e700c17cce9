import { type DynamicModule, Module } from '@nestjs/common';
import type { BackupConfig } from '@cinderflow/config';
import { Binaries } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import {
  CoreModule,
  DatabaseModule,
  SERVICE_IDENTITY,
  ServiceLifecycle,
} from '@cinderflow/service-runtime';

/**
 * cinder-backup: consumes the `cinder-backup` queue, registers and heartbeats. Its backup and
 * restore flows arrive with their issue; until then no method is handled.
 */
@Module({})
export class AppModule {
  static forRoot(config: BackupConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config, logger), DatabaseModule.forRoot(config.DATABASE_URL, 3)],
      providers: [
        {
          provide: SERVICE_IDENTITY,
          useValue: {
            host: config.SERVICE_HOST,
            binary: Binaries.backup,
            topic: Binaries.backup,
            availabilityZone: config.AVAILABILITY_ZONE,
          },
        },
        ServiceLifecycle,
      ],
    };
  }
}
