import { type BackupConfig, backupSpec } from '@cinderflow/config';
import { Binaries, Destinations } from '@cinderflow/contracts';
import { runService } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';

void runService<BackupConfig>({
  binary: Binaries.backup,
  spec: backupSpec,
  module: (config, logger) => AppModule.forRoot(config, logger),
  destinations: () => [Destinations.backup()],
  owner: (config) => config.SERVICE_HOST,
});
