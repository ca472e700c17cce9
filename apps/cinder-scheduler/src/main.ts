import { type SchedulerConfig, schedulerSpec } from '@cinderflow/config';
import { Binaries, Destinations } from '@cinderflow/contracts';
import { runService } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';
import { ReportRequests } from './host-manager/report-requests';

void runService<SchedulerConfig>({
  binary: Binaries.scheduler,
  spec: schedulerSpec,
  module: (config, logger) => AppModule.forRoot(config, logger),
  destinations: () => [Destinations.scheduler(), Destinations.schedulerFanout()],
  owner: (config) => config.SERVICE_HOST,
  // Only once its fanout queue is bound (at start, and again after a broker reconnect made a
  // new one) can the reports asked for reach this scheduler.
  onConsuming: (app) => void app.get(ReportRequests).listening(),
});
