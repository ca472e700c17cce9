import { type VolumeConfig, volumeSpec } from '@cinderflow/config';
import { Binaries, Destinations } from '@cinderflow/contracts';
import { runService } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';
import { serviceHostOf } from './volume-service.identity';

void runService<VolumeConfig>({
  binary: Binaries.volume,
  spec: volumeSpec,
  module: (config, logger) => AppModule.forRoot(config, logger),
  destinations: (config) => [
    Destinations.volume(serviceHostOf(config)),
    Destinations.volumeFanout(),
  ],
  owner: (config) => serviceHostOf(config),
});
