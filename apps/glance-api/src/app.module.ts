import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { GlanceApiConfig } from '@cinderflow/config';
import { ImageStores } from '@cinderflow/image-store';
import type { Logger } from '@cinderflow/logging';
import { HealthController, ServiceRuntimeModule } from '@cinderflow/service-runtime';
import { FaultFilter } from './common/fault.filter';
import { IMAGE_STORES } from './common/tokens';
import { ImageActionsController } from './images/image-actions.controller';
import { ImageDeleteController } from './images/image-delete.controller';
import { ImageLifecycleService } from './images/image-lifecycle.service';
import { ImageTagsController } from './images/image-tags.controller';
import { DiscoveryController } from './discovery/discovery.controller';
import { ImageDataController } from './image-data/image-data.controller';
import { ImageDataService } from './image-data/image-data.service';
import { UploadSettlement } from './image-data/upload-settlement.service';
import { ReservationExpiry } from './image-data/reservation-expiry.service';
import { ImagesController } from './images/images.controller';
import { V1ImagesController } from './legacy-v1/v1-images.controller';
import { LocationsService } from './locations/locations.service';
import { ImagesService } from './images/images.service';
import { MemberSchemasController, MembersController } from './members/members.controller';
import { MembersService } from './members/members.service';
import { ImageSchema } from './schemas/image-schema';
import { SchemasController } from './schemas/schemas.controller';
import { TaskSchemasController, TasksController } from './tasks/tasks.controller';
import { TasksService } from './tasks/tasks.service';
import { VersionsController } from './versions/versions.controller';

/** Every controller, hence every route, of glance-api. */
export const GLANCE_CONTROLLERS = [
  VersionsController,
  HealthController,
  SchemasController,
  ImagesController,
  ImageTagsController,
  MembersController,
  MemberSchemasController,
  ImageDeleteController,
  ImageActionsController,
  TasksController,
  TaskSchemasController,
  ImageDataController,
  DiscoveryController,
  V1ImagesController,
];

@Module({})
export class AppModule {
  static forRoot(config: GlanceApiConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceRuntimeModule.forRoot({ config, logger, poolSize: 10 })],
      controllers: GLANCE_CONTROLLERS,
      providers: [
        { provide: APP_FILTER, useClass: FaultFilter },
        {
          provide: IMAGE_STORES,
          useValue: new ImageStores(config.GLANCE_STORES, config.GLANCE_DEFAULT_STORE, {
            thinProvisioning: config.GLANCE_FILESYSTEM_THIN_PROVISIONING,
          }),
        },
        {
          provide: ImageSchema,
          useValue: new ImageSchema({
            diskFormats: config.GLANCE_DISK_FORMATS,
            containerFormats: config.GLANCE_CONTAINER_FORMATS,
          }),
        },
        ImagesService,
        MembersService,
        ImageLifecycleService,
        TasksService,
        ImageDataService,
        LocationsService,
        UploadSettlement,
        ReservationExpiry,
      ],
    };
  }
}
