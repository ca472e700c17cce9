import { DataSource } from 'typeorm';
import { MessageEntity } from './entities/message.entity';
import { ServiceEntity } from './entities/service.entity';
import { VolumeTypeEntity } from './entities/volume-type.entity';
import { VolumeEntity } from './entities/volume.entity';
import { WorkerEntity } from './entities/worker.entity';
import { BackupEntity } from './entities/backup.entity';
import {
  ImageEntity,
  ImageLocationEntity,
  ImageMemberEntity,
  TaskEntity,
} from './entities/image.entity';
import { VolumeAttachmentEntity } from './entities/volume-attachment.entity';
import { InitialSchema1763800000000 } from './migrations/1763800000000-initial-schema';
import { MachineTables1763900000000 } from './migrations/1763900000000-machine-tables';
import { BackupProgress1764000000000 } from './migrations/1764000000000-backup-progress';
import { Outbox1764100000000 } from './migrations/1764100000000-outbox';
import { Snapshots1764200000000 } from './migrations/1764200000000-snapshots';
import { VolumeActions1764400000000 } from './migrations/1764400000000-volume-actions';
import { SnapshotEntity } from './entities/snapshot.entity';
import { BackupMetadata1764500000000 } from './migrations/1764500000000-backup-metadata';
import { GlanceImages1764700000000 } from './migrations/1764700000000-glance-images';
import { GlanceTasks1764740000000 } from './migrations/1764740000000-glance-tasks';
import { SnapshotGlanceMetadata1764810000000 } from './migrations/1764810000000-snapshot-glance-metadata';
import { Quotas1764900000000 } from './migrations/1764900000000-quotas';
import { ImageUploadReservations1765000000000 } from './migrations/1765000000000-image-upload-reservations';
import { ServiceReplication1765200000001 } from './migrations/1765200000001-service-replication';
import { ImageUploadReservationEntity } from './entities/image-upload-reservation.entity';
import { QosSpecs1765400000000 } from './migrations/1765400000000-qos-specs';
import { QosSpecsEntity } from './entities/qos-specs.entity';
import { Transfers1765300000001 } from './migrations/1765300000001-transfers';
import { TransferEntity } from './entities/transfer.entity';
import { VolumeTypeAccess1765100000000 } from './migrations/1765100000000-volume-type-access';
import {
  DefaultVolumeTypeEntity,
  VolumeTypeEncryptionEntity,
  VolumeTypeProjectEntity,
} from './entities/volume-type-extras.entity';

export const ENTITIES = [
  VolumeEntity,
  ServiceEntity,
  VolumeTypeEntity,
  WorkerEntity,
  MessageEntity,
  VolumeAttachmentEntity,
  BackupEntity,
  ImageEntity,
  ImageLocationEntity,
  TaskEntity,
  ImageMemberEntity,
  SnapshotEntity,
  ImageUploadReservationEntity,
  QosSpecsEntity,
  TransferEntity,
  VolumeTypeProjectEntity,
  VolumeTypeEncryptionEntity,
  DefaultVolumeTypeEntity,
];
export const MIGRATIONS = [
  InitialSchema1763800000000,
  MachineTables1763900000000,
  BackupProgress1764000000000,
  Outbox1764100000000,
  Snapshots1764200000000,
  VolumeActions1764400000000,
  BackupMetadata1764500000000,
  GlanceImages1764700000000,
  GlanceTasks1764740000000,
  SnapshotGlanceMetadata1764810000000,
  Quotas1764900000000,
  ImageUploadReservations1765000000000,
  VolumeTypeAccess1765100000000,
  ServiceReplication1765200000001,
  Transfers1765300000001,
  QosSpecs1765400000000,
];

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    // The schema comes from migrations only.
    synchronize: false,
    migrationsRun: false,
    // A database that is away fails a query within seconds (the caller retries or answers 503)
    // instead of queueing it for ever.
    extra: { max: poolSize, connectionTimeoutMillis: 10_000, keepAlive: true },
  });
}

// Any constant works; every service uses the same one so that only one migrates at a time.
const MIGRATION_LOCK = 7_346_022_811;

/**
 * Runs pending migrations. Every service calls this on start, so a session-level advisory lock
 * makes concurrent starts take turns instead of racing on CREATE TABLE.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
