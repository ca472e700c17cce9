import { type GlanceTaskWorkerConfig, glanceTaskWorkerSpec } from '@cinderflow/config';
import { GLANCE_TASK_WORKER, GlanceDestinations } from '@cinderflow/contracts';
import { runService } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';

void runService<GlanceTaskWorkerConfig>({
  binary: GLANCE_TASK_WORKER,
  spec: glanceTaskWorkerSpec,
  module: (config, logger) => AppModule.forRoot(config, logger),
  destinations: () => [GlanceDestinations.taskWorker()],
  owner: (config) => config.SERVICE_HOST,
});
