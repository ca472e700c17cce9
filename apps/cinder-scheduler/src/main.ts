import { type SchedulerConfig, schedulerSpec } from '@cinderflow/config';
import { Binaries, Destinations } from '@cinderflow/contracts';
import { runService } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';

void runService<SchedulerConfig>({
  binary: Binaries.scheduler,
  spec: schedulerSpec,
  module: (config, logger) => AppModule.forRoot(config, logger),
  destinations: () => [Destinations.scheduler(), Destinations.schedulerFanout()],
  owner: (config) => config.SERVICE_HOST,
});
