import { loadConfig, backupSpec } from '@cinderflow/config';
import { createLogger } from '@cinderflow/logging';
import { SERVICE_IDENTITY } from '@cinderflow/service-runtime';
import { AppModule } from './app.module';

describe('cinder-backup AppModule', () => {
  it('registers the service as cinder-backup on its host and zone', () => {
    const config = loadConfig(backupSpec, { SERVICE_HOST: 'backup-7', AVAILABILITY_ZONE: 'az-2' });
    const root = AppModule.forRoot(config, createLogger('test', { level: 'silent' }));
    const runtime = root.imports?.[0] as {
      providers?: { provide?: unknown; useValue?: unknown }[];
    };
    const identity = runtime.providers?.find((p) => p.provide === SERVICE_IDENTITY)?.useValue;
    expect(identity).toEqual({
      host: 'backup-7',
      binary: 'cinder-backup',
      topic: 'cinder-backup',
      availabilityZone: 'az-2',
    });
  });
});
