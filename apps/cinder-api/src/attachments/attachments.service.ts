import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Destinations, VolumeRpc, type Connector } from '@cinderflow/contracts';
import { RemoteError, type RpcClient } from '@cinderflow/messaging';
import {
  applyTransition,
  AttachmentsRepository,
  StatusConflictError,
  VolumeAttachmentEntity,
  VolumeEntity,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { RPC_CLIENT } from '@cinderflow/service-runtime';
import { attachmentMachine, volumeAttachMachine, volumeMachine } from '@cinderflow/status-machines';
import { isRemoteRefusal } from '../common/fault.filter';
import { CinderHttpError, invalidVolume, NOT_FOUND, notFound } from '../common/cinder-errors';
import type { ListParams } from '../common/list-params';
import { scopeOf } from '../common/scope';
import { VolumesService } from '../volumes/volumes.service';

const or = (items: readonly string[]) => items.join(' or ');

/** Filters an attachment list takes (Cinder's resource_filters.json `attachment`). */
export const ATTACHMENT_FILTERS = ['volume_id', 'status', 'instance_id', 'attach_status'] as const;

/**
 * What an attachment list sorts by (Cinder sorts by the VolumeAttachment model's columns).
 * Nullable columns are COALESCEd: keyset pages need non-NULL keys.
 */
export const ATTACHMENT_SORT_COLUMNS: Record<string, string> = {
  id: 'a.id',
  volume_id: 'a.volume_id',
  attach_status: 'a.attach_status',
  instance_uuid: "COALESCE(a.instance_uuid, '')",
  attached_host: "COALESCE(a.attached_host, '')",
  mountpoint: "COALESCE(a.mountpoint, '')",
  attach_mode: "COALESCE(a.attach_mode, '')",
  attach_time: 'COALESCE(a.attach_time, a.created_at)',
  detach_time: 'COALESCE(a.detach_time, a.created_at)',
  created_at: 'a.created_at',
  updated_at: 'COALESCE(a.updated_at, a.created_at)',
};

/**
 * The attachments API (3.27+, Cinder's volume/api.py attachment_*): reserve in the API with a
 * conditional update, export through cinder-volume (a call: the answer carries the connection),
 * complete, delete.
 */
@Injectable()
export class AttachmentsService {
  private readonly repo: AttachmentsRepository;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    private readonly volumes: VolumesService,
  ) {
    this.repo = new AttachmentsRepository(this.dataSource.manager);
  }

  async create(
    caller: RequestContext,
    request: {
      volumeId: string;
      instanceUuid: string | null;
      connector?: Connector | null;
      mode: string | null;
    },
  ): Promise<VolumeAttachmentEntity> {
    const volume = await this.volumes.get(caller, request.volumeId, 'volume:attachment_create');
    if (volume.status.includes('error')) {
      throw invalidVolume(
        `Volume attachments can not be created if the volume is in an error state. ` +
          `The Volume ${volume.id} currently has a status of: ${volume.status} `,
      );
    }
    const event = volume.multiattach ? 'attachment_reserve_multiattach' : 'attachment_reserve';
    const id = randomUUID();
    try {
      await this.dataSource.transaction(async (tx) => {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event,
          where: { sql: 'multiattach = :multiattach', params: { multiattach: volume.multiattach } },
        });
        await new AttachmentsRepository(tx).insert({
          id,
          volume_id: volume.id,
          attach_status: attachmentMachine.initial,
          instance_uuid: request.instanceUuid,
          // Cinder's attachment_create: the readonly admin metadata overrides the mode asked.
          attach_mode: volume.admin_metadata.readonly === 'True' ? 'ro' : request.mode,
          created_at: new Date(),
        });
      });
    } catch (error) {
      if (error instanceof StatusConflictError) {
        throw invalidVolume(
          `Volume ${volume.id} status must be ${or(volumeMachine.allowedFrom(event))} to reserve, ` +
            `but the current status is ${error.current}.`,
        );
      }
      throw error;
    }
    // As in Cinder, an empty connector (python-cinderclient sends one) means "reserve only".
    if (request.connector && Object.keys(request.connector).length > 0) {
      await this.connect(volume, id, request.connector, 'Unable to create attachment for volume');
    }
    return this.get(caller, id);
  }

  async update(
    caller: RequestContext,
    id: string,
    connector: Connector,
  ): Promise<VolumeAttachmentEntity> {
    const attachment = await this.get(caller, id);
    const volume = await this.volumes.get(caller, attachment.volume_id, 'volume:attachment_update');
    if (volume.status.includes('error')) {
      throw new CinderHttpError(
        409,
        `Volume attachments can not be updated if the volume is in an error state. ` +
          `The Volume ${volume.id} currently has a status of: ${volume.status} `,
      );
    }
    await this.connect(volume, id, connector, 'Unable to update attachment');
    return this.get(caller, id);
  }

  /** os-complete (3.44): the consumer has connected; attachment attached, volume in-use. */
  async complete(caller: RequestContext, id: string): Promise<void> {
    const attachment = await this.get(caller, id);
    await this.volumes.get(caller, attachment.volume_id, 'volume:attachment_complete');
    await this.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: attachmentMachine,
        entity: VolumeAttachmentEntity,
        column: 'attach_status',
        id,
        event: 'complete',
      });
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: attachment.volume_id,
        event: 'attachment_complete',
      });
      await applyTransition(tx, {
        machine: volumeAttachMachine,
        entity: VolumeEntity,
        column: 'attach_status',
        id: attachment.volume_id,
        event: 'complete',
      });
    });
  }

  /** Removes the export (a call to cinder-volume) and the attachment; returns what remains. */
  async delete(caller: RequestContext, id: string): Promise<VolumeAttachmentEntity[]> {
    const attachment = await this.get(caller, id);
    const volume = await this.volumes.get(caller, attachment.volume_id, 'volume:attachment_delete');
    if (!volume.host) throw notFound(`Volume ${volume.id} has no backend to detach from.`);
    await this.rpc.call(
      Destinations.volume(volume.host.split('#')[0]),
      VolumeRpc.attachmentDelete,
      {
        volume_id: volume.id,
        attachment_id: id,
      },
    );
    return this.repo.ofVolume(volume.id);
  }

  async get(caller: RequestContext, id: string): Promise<VolumeAttachmentEntity> {
    const attachment = await this.repo.findLive(id);
    if (!attachment) throw notFound(NOT_FOUND.attachment(id));
    await this.volumes.get(caller, attachment.volume_id).catch(() => {
      throw notFound(NOT_FOUND.attachment(id));
    });
    return attachment;
  }

  /** One page of the attachments of the caller's volumes (every project's with all_tenants). */
  async list(caller: RequestContext, params: ListParams): Promise<VolumeAttachmentEntity[]> {
    const f = params.filters;
    const page = await this.repo.list(
      scopeOf(caller, params.allTenants),
      {
        volume_id: f.volume_id,
        attach_status: f.attach_status ?? f.status,
        instance_id: f.instance_id,
      },
      {
        sort: params.sort,
        limit: params.limit,
        marker: params.marker,
        markerNotFound: (marker) => notFound(NOT_FOUND.attachment(marker)),
      },
    );
    return page.rows;
  }

  /** Attached attachments of some volumes, for the volume view's `attachments`. */
  attachedOf(volumeIds: string[]): Promise<Map<string, VolumeAttachmentEntity[]>> {
    return this.repo.attachedOf(volumeIds);
  }

  private async connect(
    volume: VolumeEntity,
    attachmentId: string,
    connector: Connector,
    failure: string,
  ) {
    if (!volume.host) throw invalidVolume(`Volume ${volume.id} has no backend to attach from.`);
    try {
      await this.rpc.call(
        Destinations.volume(volume.host.split('#')[0]),
        VolumeRpc.attachmentUpdate,
        {
          volume_id: volume.id,
          attachment_id: attachmentId,
          connector,
        },
      );
    } catch (error) {
      // A refusal (the attachment changed state meanwhile) is the caller's 4xx; see FaultFilter.
      if (error instanceof RemoteError && !isRemoteRefusal(error)) {
        throw new CinderHttpError(500, `${failure} (${error.message}).`);
      }
      throw error;
    }
  }
}
