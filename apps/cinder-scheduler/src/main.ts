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
  // runService resolves once the AMQP server consumes, its fanout queue bound: only then can
  // the reports asked for reach this scheduler.
}).then((app) => app.get(ReportRequests).listening());
