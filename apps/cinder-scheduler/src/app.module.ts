import { type DynamicModule, Module } from '@nestjs/common';
import type { SchedulerConfig } from '@cinderflow/config';
import { Binaries } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import {
  CoreModule,
  DatabaseModule,
  SERVICE_IDENTITY,
  ServiceLifecycle,
} from '@cinderflow/service-runtime';
import { CreateVolumeScheduler } from './flows/create-volume/create-volume.scheduler';
import { HostManager } from './host-manager/host-manager';
import { SchedulerController } from './scheduler.controller';

@Module({})
export class AppModule {
  static forRoot(config: SchedulerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [CoreModule.forRoot(config, logger), DatabaseModule.forRoot(config.DATABASE_URL, 5)],
      controllers: [SchedulerController],
      providers: [
        {
          provide: SERVICE_IDENTITY,
          useValue: {
            host: config.SERVICE_HOST,
            binary: Binaries.scheduler,
            topic: Binaries.scheduler,
            availabilityZone: config.AVAILABILITY_ZONE,
          },
        },
        { provide: HostManager, useValue: new HostManager() },
        ServiceLifecycle,
        CreateVolumeScheduler,
      ],
    };
  }
}
