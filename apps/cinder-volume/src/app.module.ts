import { type DynamicModule, Module } from '@nestjs/common';
import type { VolumeConfig } from '@cinderflow/config';
import { Binaries } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import { LOGGER, ManagerWork, ServiceRuntimeModule } from '@cinderflow/service-runtime';
import { DataSource } from 'typeorm';
import { CapabilityReporter } from './capabilities/capability-reporter';
import { createDriver } from './drivers/driver.factory';
import { VOLUME_DRIVER } from './drivers/volume-driver';
import { AttachVolumeHandler } from './flows/attach-volume/attach-volume.handler';
import { CreateSnapshotHandler } from './flows/create-snapshot/create-snapshot.handler';
import { CreateFromImage } from './flows/create-volume/create-from-image';
import { CreateVolumeHandler } from './flows/create-volume/create-volume.handler';
import { DeleteSnapshotHandler } from './flows/delete-snapshot/delete-snapshot.handler';
import { DeleteVolumeHandler } from './flows/delete-volume/delete-volume.handler';
import { ExtendVolumeHandler } from './flows/extend-volume/extend-volume.handler';
import { MigrateVolumeHandler } from './flows/migrate-volume/migrate-volume.handler';
import { RetypeVolumeHandler } from './flows/retype-volume/retype-volume.handler';
import { RevertVolumeHandler } from './flows/revert-volume/revert-volume.handler';
import { SnapshotConnectionHandler } from './flows/snapshot-connection/snapshot-connection.handler';
import { imageServiceProvider } from './image-service';
import { UploadVolumeHandler } from './flows/upload-volume/upload-volume.handler';
import { InitHostCleanup } from './init-host/init-host.cleanup';
import { VolumeManagerController } from './volume-manager.controller';
import {
  backendNameOf,
  serviceHostOf,
  VOLUME_SERVICE,
  type VolumeServiceInfo,
} from './volume-service.identity';

@Module({})
export class AppModule {
  static forRoot(config: VolumeConfig, logger: Logger): DynamicModule {
    const info: VolumeServiceInfo = {
      serviceHost: serviceHostOf(config),
      backendName: backendNameOf(config),
      availabilityZone: config.AVAILABILITY_ZONE,
    };
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({
          config,
          logger,
          poolSize: 5,
          identity: {
            host: info.serviceHost,
            binary: Binaries.volume,
            topic: Binaries.volume,
            availabilityZone: info.availabilityZone,
          },
        }),
      ],
      controllers: [VolumeManagerController],
      providers: [
        { provide: VOLUME_SERVICE, useValue: info },
        { provide: VOLUME_DRIVER, useValue: createDriver(config) },
        {
          provide: ManagerWork,
          useFactory: (dataSource: DataSource, log: Logger) =>
            new ManagerWork(dataSource, info.serviceHost, log),
          inject: [DataSource, LOGGER],
        },
        imageServiceProvider,
        CreateFromImage,
        CreateVolumeHandler,
        AttachVolumeHandler,
        DeleteVolumeHandler,
        ExtendVolumeHandler,
        RetypeVolumeHandler,
        MigrateVolumeHandler,
        CreateSnapshotHandler,
        DeleteSnapshotHandler,
        SnapshotConnectionHandler,
        InitHostCleanup,
        CapabilityReporter,
        RevertVolumeHandler,
        UploadVolumeHandler,
      ],
    };
  }
}
