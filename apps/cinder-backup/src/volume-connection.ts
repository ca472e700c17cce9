import { Inject, Injectable } from '@nestjs/common';
import { Destinations, VolumeRpc } from '@cinderflow/contracts';
import type { RpcClient } from '@cinderflow/messaging';
import type { VolumeEntity } from '@cinderflow/persistence';
import { RPC_CLIENT } from '@cinderflow/service-runtime';
import { BACKUP_HOST } from './backup-service';

/**
 * Reaches a volume's bytes the way any consumer does: ask its cinder-volume for a connection
 * (a call), use the path it names, and end the connection afterwards. The file driver's path
 * is on storage the backup service shares with the volume service.
 */
@Injectable()
export class VolumeConnection {
  constructor(
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(BACKUP_HOST) private readonly host: string,
  ) {}

  /**
   * A snapshot's bytes, the same way (Cinder's initialize_connection_snapshot): the snapshot
   * lives on its volume's backend.
   */
  async withSnapshot<T>(
    volume: VolumeEntity,
    snapshotId: string,
    use: (devicePath: string) => Promise<T>,
  ): Promise<T> {
    if (!volume.host) throw new Error(`volume ${volume.id} has no backend`);
    const destination = Destinations.volume(volume.host.split('#')[0]);
    const connector = this.connector();
    const info = await this.rpc.call(destination, VolumeRpc.initializeConnectionSnapshot, {
      snapshot_id: snapshotId,
      connector,
    });
    const path = info.data.device_path;
    if (typeof path !== 'string')
      throw new Error(`no device_path in the connection to snapshot ${snapshotId}`);
    try {
      return await use(path);
    } finally {
      await this.rpc
        .call(destination, VolumeRpc.terminateConnectionSnapshot, {
          snapshot_id: snapshotId,
          connector,
        })
        .catch(() => undefined);
    }
  }

  private connector() {
    return {
      host: `cinder-backup-${this.host}`,
      platform: process.arch,
      os_type: process.platform,
    };
  }

  async with<T>(volume: VolumeEntity, use: (devicePath: string) => Promise<T>): Promise<T> {
    if (!volume.host) throw new Error(`volume ${volume.id} has no backend`);
    const destination = Destinations.volume(volume.host.split('#')[0]);
    const connector = {
      host: `cinder-backup-${this.host}`,
      platform: process.arch,
      os_type: process.platform,
    };
    const info = await this.rpc.call(destination, VolumeRpc.initializeConnection, {
      volume_id: volume.id,
      connector,
    });
    const path = info.data.device_path;
    if (typeof path !== 'string')
      throw new Error(`no device_path in the connection to volume ${volume.id}`);
    try {
      return await use(path);
    } finally {
      await this.rpc
        .call(destination, VolumeRpc.terminateConnection, { volume_id: volume.id, connector })
        .catch(() => undefined);
    }
  }
}
