import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { ApiConfig } from '@cinderflow/config';
import type { Logger } from '@cinderflow/logging';
import { HealthController, ServiceRuntimeModule } from '@cinderflow/service-runtime';
import { AttachmentsController } from './attachments/attachments.controller';
import { AttachmentsService } from './attachments/attachments.service';
import { BackupsController } from './backups/backups.controller';
import { BackupsService } from './backups/backups.service';
import { AvailabilityZonesController } from './availability-zones/availability-zones.controller';
import { AvailabilityZonesService } from './availability-zones/availability-zones.service';
import { FaultFilter } from './common/fault.filter';
import { imageServiceProvider } from './common/image-service';

import { PolicyGuard } from './common/policy';
import { ProjectGuard } from './common/project.guard';
import { ResourceIdGuard } from './common/resource-ids';
import { CreateVolumeFlow } from './flows/create-volume/create-volume.flow';
import { MessagesController } from './messages/messages.controller';
import { SnapshotActionsController } from './snapshots/snapshot-actions.controller';
import { SnapshotMetadataController } from './snapshots/snapshot-metadata.controller';
import { SnapshotsController } from './snapshots/snapshots.controller';
import { SnapshotsService } from './snapshots/snapshots.service';
import { SchedulerStatsController } from './scheduler-stats/scheduler-stats.controller';
import { LimitsController } from './limits/limits.controller';
import { QuotaClassSetsController } from './quota-classes/quota-class-sets.controller';
import { QuotaSetsController } from './quotas/quota-sets.controller';
import { CapabilitiesController } from './services/capabilities.controller';
import { ExtensionsController } from './services/extensions.controller';
import { HostsController } from './services/hosts.controller';
import { ResourceFiltersController } from './services/resource-filters.controller';
import { ServicesController } from './services/services.controller';
import { QosSpecsController } from './qos-specs/qos-specs.controller';
import { QosSpecsService } from './qos-specs/qos-specs.service';
import { TransfersController } from './transfers/transfers.controller';
import { TransfersService } from './transfers/transfers.service';
import { DefaultTypesController } from './types/default-types.controller';
import { VolumeTypesController } from './types/volume-types.controller';
import { VolumeTypesService } from './types/volume-types.service';
import { VersionsController } from './versions/versions.controller';
import { VolumeActionsController } from './volumes/volume-actions.controller';
import { VolumeMetadataController } from './volumes/volume-metadata.controller';
import { VolumeSummaryController } from './volumes/volume-summary.controller';
import { VolumesController } from './volumes/volumes.controller';
import { VolumesService } from './volumes/volumes.service';

/** Every controller, hence every route, of the API (the bad-input e2e suite covers each). */
export const API_CONTROLLERS = [
  VersionsController,
  HealthController,
  VolumeSummaryController,
  VolumesController,
  VolumeActionsController,
  VolumeMetadataController,
  AttachmentsController,
  BackupsController,
  VolumeTypesController,
  QosSpecsController,
  DefaultTypesController,
  ServicesController,
  HostsController,
  CapabilitiesController,
  ExtensionsController,
  ResourceFiltersController,
  AvailabilityZonesController,
  SchedulerStatsController,
  LimitsController,
  QuotaSetsController,
  QuotaClassSetsController,
  MessagesController,
  SnapshotsController,
  SnapshotMetadataController,
  SnapshotActionsController,
  TransfersController,
];

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [ServiceRuntimeModule.forRoot({ config, logger, poolSize: 10 })],
      controllers: API_CONTROLLERS,
      providers: [
        { provide: APP_FILTER, useClass: FaultFilter },
        // In this order: a URL naming another project is refused before its ids are read, a
        // malformed id is a 404 before any policy is asked.
        { provide: APP_GUARD, useClass: ProjectGuard },
        { provide: APP_GUARD, useClass: ResourceIdGuard },
        { provide: APP_GUARD, useClass: PolicyGuard },
        VolumesService,
        TransfersService,
        AttachmentsService,
        BackupsService,
        VolumeTypesService,
        QosSpecsService,
        AvailabilityZonesService,
        CreateVolumeFlow,
        SnapshotsService,
        imageServiceProvider,
      ],
    };
  }
}
