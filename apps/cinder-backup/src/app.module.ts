import { type DynamicModule, Module } from '@nestjs/common';
import type { BackupConfig } from '@cinderflow/config';
import { Binaries } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import { WorkClaims } from '@cinderflow/persistence';
import { ServiceRuntimeModule } from '@cinderflow/service-runtime';
import { BackupManagerController } from './backup-manager.controller';
import { BACKUP_DRIVER, BACKUP_HOST, backupHostOf } from './backup-service';
import { ChunkedBackupDriver, type Compression } from './chunked/chunked-backup.driver';
import { DelayedBackupDriver } from './chunked/delayed-backup.driver';
import { CreateBackupHandler } from './flows/create-backup/create-backup.handler';
import { DeleteBackupHandler } from './flows/delete-backup/delete-backup.handler';
import { ImportBackupHandler } from './flows/import-backup/import-backup.handler';
import { RestoreBackupHandler } from './flows/restore-backup/restore-backup.handler';
import { InitHostCleanup } from './init-host/init-host.cleanup';
import { VolumeConnection } from './volume-connection';

/** cinder-backup: chunked, checksummed, compressed, incremental backups and their restores. */
@Module({})
export class AppModule {
  static forRoot(config: BackupConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ServiceRuntimeModule.forRoot({
          config,
          logger,
          poolSize: 3,
          identity: {
            host: backupHostOf(config),
            binary: Binaries.backup,
            topic: Binaries.backup,
            availabilityZone: config.AVAILABILITY_ZONE,
          },
        }),
      ],
      controllers: [BackupManagerController],
      providers: [
        { provide: BACKUP_HOST, useValue: backupHostOf(config) },
        { provide: BACKUP_DRIVER, useValue: backupDriver(config) },
        // One for the process: its handlers' runs in progress tell their notes from leftovers.
        { provide: WorkClaims, useValue: new WorkClaims(backupHostOf(config)) },
        VolumeConnection,
        CreateBackupHandler,
        RestoreBackupHandler,
        DeleteBackupHandler,
        ImportBackupHandler,
        InitHostCleanup,
      ],
    };
  }
}

export function backupDriver(config: BackupConfig): ChunkedBackupDriver {
  const options = {
    repository: config.BACKUP_DIR,
    chunkSize: config.BACKUP_CHUNK_SIZE,
    compression: config.BACKUP_COMPRESSION as Compression,
  };
  return config.BACKUP_DRIVER_DELAY_MS > 0
    ? new DelayedBackupDriver(options, config.BACKUP_DRIVER_DELAY_MS)
    : new ChunkedBackupDriver(options);
}
