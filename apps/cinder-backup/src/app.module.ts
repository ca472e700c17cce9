import { type DynamicModule, Module } from '@nestjs/common';
import type { BackupConfig } from '@cinderflow/config';
import { Binaries } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import { ServiceRuntimeModule } from '@cinderflow/service-runtime';

/**
 * cinder-backup: consumes the `cinder-backup` queue, registers and heartbeats. Its backup and
 * restore flows arrive with their issue; until then no method is handled.
 */
@Module({})
export class AppModule {
  static forRoot(config: BackupConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({
          config,
          logger,
          poolSize: 3,
          identity: {
            host: config.SERVICE_HOST,
            binary: Binaries.backup,
            topic: Binaries.backup,
            availabilityZone: config.AVAILABILITY_ZONE,
          },
        }),
      ],
    };
  }
}
