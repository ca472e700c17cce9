import { type DynamicModule, Module } from '@nestjs/common';
import type { SchedulerConfig } from '@cinderflow/config';
import { Binaries } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import { ServiceRuntimeModule } from '@cinderflow/service-runtime';
import { CreateVolumeScheduler } from './flows/create-volume/create-volume.scheduler';
import { ExtendVolumeScheduler } from './flows/extend-volume/extend-volume.scheduler';
import { RetypeVolumeScheduler } from './flows/retype-volume/retype-volume.scheduler';
import { HostManager } from './host-manager/host-manager';
import { ReportRequests } from './host-manager/report-requests';
import { ReservationCleaner } from './quota/reservation-cleaner';
import { SchedulerController } from './scheduler.controller';

@Module({})
export class AppModule {
  static forRoot(config: SchedulerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({
          config,
          logger,
          poolSize: 5,
          identity: {
            host: config.SERVICE_HOST,
            binary: Binaries.scheduler,
            topic: Binaries.scheduler,
            availabilityZone: config.AVAILABILITY_ZONE,
          },
        }),
      ],
      controllers: [SchedulerController],
      providers: [
        { provide: HostManager, useValue: new HostManager() },
        ReportRequests,
        CreateVolumeScheduler,
        RetypeVolumeScheduler,
        ExtendVolumeScheduler,
        ReservationCleaner,
      ],
    };
  }
}
