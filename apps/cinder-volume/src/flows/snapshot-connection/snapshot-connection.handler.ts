import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ConnectionInfo } from '@cinderflow/contracts';
import { SnapshotsRepository } from '@cinderflow/persistence';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';

/**
 * Cinder's initialize_connection_snapshot / terminate_connection_snapshot: how cinder-backup
 * reads a snapshot's bytes for a backup of it. Only a snapshot being backed up is connected.
 */
@Injectable()
export class SnapshotConnectionHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
  ) {}

  async initialize(snapshotId: string): Promise<ConnectionInfo> {
    const snapshot = await new SnapshotsRepository(this.dataSource.manager).findLive(snapshotId);
    if (!snapshot) throw new Error(`Snapshot ${snapshotId} could not be found.`);
    if (snapshot.status !== 'backing-up') {
      throw new Error(
        `Snapshot ${snapshotId} is ${snapshot.status}, not backing-up: no connection to it.`,
      );
    }
    return this.driver.initializeConnectionSnapshot({ id: snapshotId });
  }

  async terminate(snapshotId: string): Promise<null> {
    await this.driver.terminateConnectionSnapshot({ id: snapshotId });
    return null;
  }
}
