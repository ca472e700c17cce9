import { type DynamicModule, Module } from '@nestjs/common';
import type { GlanceTaskWorkerConfig } from '@cinderflow/config';
import { GLANCE_TASK_WORKER } from '@cinderflow/contracts';
import { ImageStores } from '@cinderflow/image-store';
import type { Logger } from '@cinderflow/logging';
import { ServiceRuntimeModule } from '@cinderflow/service-runtime';
import { ImportTaskRunner } from './import/import-task.runner';
import { RestartCleanup } from './init-host/restart-cleanup';
import { TaskWorkerController } from './task-worker.controller';
import { IMAGE_STORES, WORKER_HOST } from './tokens';

/** glance-task-worker: runs the tasks glance-api accepts (the legacy `import`). */
@Module({})
export class AppModule {
  static forRoot(config: GlanceTaskWorkerConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({
          config,
          logger,
          poolSize: 5,
          identity: {
            host: config.SERVICE_HOST,
            binary: GLANCE_TASK_WORKER,
            topic: GLANCE_TASK_WORKER,
            availabilityZone: config.AVAILABILITY_ZONE,
          },
        }),
      ],
      controllers: [TaskWorkerController],
      providers: [
        { provide: WORKER_HOST, useValue: config.SERVICE_HOST },
        {
          provide: IMAGE_STORES,
          useValue: new ImageStores(config.GLANCE_STORES, config.GLANCE_DEFAULT_STORE, {
            thinProvisioning: config.GLANCE_FILESYSTEM_THIN_PROVISIONING,
          }),
        },
        ImportTaskRunner,
        RestartCleanup,
      ],
    };
  }
}
