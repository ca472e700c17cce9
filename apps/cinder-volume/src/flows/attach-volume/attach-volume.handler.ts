import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ConnectionInfo, Connector } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import {
  applyTransition,
  AttachmentsRepository,
  NOW_UTC,
  QosSpecsRepository,
  RecordNotFoundError,
  VolumeAttachmentEntity,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import { LOGGER } from '@cinderflow/service-runtime';
import { attachmentMachine, volumeAttachMachine, volumeMachine } from '@cinderflow/status-machines';
import { VOLUME_DRIVER, type VolumeDriver } from '../../drivers/volume-driver';
import { detachAttachment, lockVolume } from './attachments';

/** The export a legacy (attachment-less) connection gets: one per consumer host. */
export function legacyExportId(connector: Connector): string {
  const host = typeof connector.host === 'string' && connector.host ? connector.host : 'unknown';
  return `legacy-${host.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}

/** The limits a front-end QoS may give per GiB (Cinder's tune_opts). */
const TUNE_OPTS = [
  'read_iops_sec',
  'read_bytes_sec',
  'write_iops_sec',
  'write_bytes_sec',
  'total_iops_sec',
  'total_bytes_sec',
];

/** `<opt>_per_gb` × size, at least `<opt>_per_gb_min`, at most `<opt>_max`, as `<opt>`. */
export function perGbSpecs(
  specs: Record<string, string | number>,
  sizeGb: number,
): Record<string, string | number> {
  for (const option of TUNE_OPTS) {
    const perGb = specs[`${option}_per_gb`];
    if (perGb === undefined) continue;
    const minimum = Number(specs[`${option}_per_gb_min`] ?? 0);
    const value = Math.max(minimum, Math.trunc(Number(perGb)) * sizeGb);
    const maximum = Number(specs[`${option}_max`] ?? value);
    delete specs[`${option}_per_gb_min`];
    delete specs[`${option}_max`];
    delete specs[`${option}_per_gb`];
    specs[option] = Math.min(value, maximum);
  }
  return specs;
}

function modeOf(requested: unknown): 'rw' | 'ro' {
  return requested === 'ro' ? 'ro' : 'rw';
}

/**
 * cinder-volume's side of attach and detach (Cinder's VolumeManager attachment_update,
 * attachment_delete, initialize/terminate_connection, attach_volume, detach_volume): the
 * driver exports the volume and says how to reach it; the rows follow the machines.
 */
@Injectable()
export class AttachVolumeHandler {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async attachmentUpdate(
    volumeId: string,
    attachmentId: string,
    connector: Connector,
  ): Promise<ConnectionInfo> {
    const attachment = await this.attachment(volumeId, attachmentId);
    const mode = modeOf(attachment.attach_mode ?? connector.mode);
    const connection = await this.withQos(
      await this.volume(volumeId),
      await this.driver.initializeConnection({ id: volumeId }, attachmentId, connector, mode),
    );
    // The attachments API shows connection_info flattened (Cinder's _connection_create).
    const flat = {
      ...connection.data,
      driver_volume_type: connection.driver_volume_type,
      attachment_id: attachmentId,
    };
    await this.dataSource.transaction(async (tx) => {
      await lockVolume(tx, volumeId);
      await applyTransition(tx, {
        machine: attachmentMachine,
        entity: VolumeAttachmentEntity,
        column: 'attach_status',
        id: attachmentId,
        event: 'connect',
        set: {
          connector,
          connection_info: flat,
          attached_host: typeof connector.host === 'string' ? connector.host : null,
          mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : null,
          attach_mode: mode,
          attach_time: () => NOW_UTC,
        },
      });
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volumeId,
        event: 'attachment_update',
      });
      await applyTransition(tx, {
        machine: volumeAttachMachine,
        entity: VolumeEntity,
        column: 'attach_status',
        id: volumeId,
        event: 'connect',
      });
    });
    this.logger.info({ volume_id: volumeId, attachment_id: attachmentId }, 'volume exported');
    return connection;
  }

  async attachmentDelete(volumeId: string, attachmentId: string): Promise<null> {
    await this.driver.terminateConnection({ id: volumeId }, attachmentId);
    await this.dataSource.transaction(async (tx) => {
      await lockVolume(tx, volumeId);
      await detachAttachment(tx, volumeId, attachmentId, this.logger);
    });
    this.logger.info({ volume_id: volumeId, attachment_id: attachmentId }, 'attachment deleted');
    return null;
  }

  async initializeConnection(volumeId: string, connector: Connector): Promise<ConnectionInfo> {
    const volume = await this.volume(volumeId);
    // Cinder's initialize_connection: a readonly volume (os-update_readonly_flag) is reached `ro`.
    const mode = volume.admin_metadata.readonly === 'True' ? 'ro' : modeOf(connector.mode);
    return this.withQos(
      volume,
      await this.driver.initializeConnection(
        { id: volumeId },
        legacyExportId(connector),
        connector,
        mode,
      ),
    );
  }

  /**
   * Cinder's _parse_connection_options: `qos_specs` in the connection's data, the specs of the
   * type's QoS when its consumer is front-end or both (the hypervisor applies them), else null;
   * `<limit>_per_gb` specs become `<limit>` for the volume's size (within `_per_gb_min` and
   * `_max`).
   */
  private async withQos(volume: VolumeEntity, connection: ConnectionInfo): Promise<ConnectionInfo> {
    const qos = volume.volume_type_id
      ? await new QosSpecsRepository(this.dataSource.manager).ofType(volume.volume_type_id)
      : null;
    const specs =
      qos && (qos.consumer === 'front-end' || qos.consumer === 'both')
        ? perGbSpecs({ ...qos.specs }, volume.size)
        : null;
    return { ...connection, data: { ...connection.data, qos_specs: specs } };
  }

  async terminateConnection(volumeId: string, connector: Connector): Promise<null> {
    await this.driver.terminateConnection({ id: volumeId }, legacyExportId(connector));
    return null;
  }

  /** Legacy os-attach: one row, reserved → attaching → attached, and the volume in-use. */
  async attachVolume(request: {
    volume_id: string;
    instance_uuid: string | null;
    host_name: string | null;
    mountpoint: string;
    mode: 'rw' | 'ro';
  }): Promise<{ attachment_id: string }> {
    const id = randomUUID();
    await this.dataSource.transaction(async (tx) => {
      await lockVolume(tx, request.volume_id);
      await new AttachmentsRepository(tx).insert({
        id,
        volume_id: request.volume_id,
        attach_status: attachmentMachine.initial,
        instance_uuid: request.instance_uuid,
        attached_host: request.host_name,
        mountpoint: request.mountpoint,
        attach_mode: request.mode,
        created_at: new Date(),
      });
      for (const event of ['connect', 'complete'] as const) {
        await applyTransition(tx, {
          machine: attachmentMachine,
          entity: VolumeAttachmentEntity,
          column: 'attach_status',
          id,
          event,
          set: { attach_time: () => NOW_UTC },
        });
      }
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: request.volume_id,
        event: 'attach',
        // A volume that is not multiattach takes one attachment only.
        where: { sql: "(multiattach OR status <> 'in-use')", params: {} },
      });
      await applyTransition(tx, {
        machine: volumeAttachMachine,
        entity: VolumeEntity,
        column: 'attach_status',
        id: request.volume_id,
        event: 'attach',
      });
    });
    this.logger.info({ volume_id: request.volume_id, attachment_id: id }, 'volume attached');
    return { attachment_id: id };
  }

  /** Legacy os-detach: the named attachment, or the only one. */
  async detachVolume(volumeId: string, attachmentId: string | null): Promise<null> {
    let id = attachmentId;
    if (!id) {
      const live = await new AttachmentsRepository(this.dataSource.manager).ofVolume(volumeId);
      if (live.length !== 1) {
        throw new Error(
          live.length === 0
            ? `Volume ${volumeId} has no attachment to detach.`
            : `Volume ${volumeId} has ${live.length} attachments: say which to detach (attachment_id).`,
        );
      }
      id = live[0].id;
    }
    return this.attachmentDelete(volumeId, id);
  }

  private async volume(volumeId: string): Promise<VolumeEntity> {
    const volume = await new VolumesRepository(this.dataSource.manager).findLive(volumeId);
    if (!volume) throw new RecordNotFoundError('volume', volumeId);
    return volume;
  }

  private async attachment(
    volumeId: string,
    attachmentId: string,
  ): Promise<VolumeAttachmentEntity> {
    const attachment = await new AttachmentsRepository(this.dataSource.manager).findLiveOfVolume(
      attachmentId,
      volumeId,
    );
    if (!attachment) throw new RecordNotFoundError('attachment', attachmentId);
    return attachment;
  }
}
