import { type BackupConfig, backupSpec } from '@cinderflow/config';
import { Binaries, Destinations } from '@cinderflow/contracts';
import { runService } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';
import { backupHostOf } from './backup-service';

void runService<BackupConfig>({
  binary: Binaries.backup,
  spec: backupSpec,
  module: (config, logger) => AppModule.forRoot(config, logger),
  destinations: (config) => [Destinations.backup(), Destinations.backupHost(backupHostOf(config))],
  owner: (config) => backupHostOf(config),
});
