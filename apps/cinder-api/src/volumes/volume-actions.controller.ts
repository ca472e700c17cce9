import { Body, Controller, HttpCode, Inject, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { backendOf, type Connector, Destinations, VolumeRpc } from '@cinderflow/contracts';
import type { Outbox, RemoteError, RpcClient } from '@cinderflow/messaging';
import {
  applyTransition,
  RecordNotFoundError,
  SnapshotEntity,
  StatusConflictError,
  VolumeEntity,
  VolumesRepository,
  AttachmentsRepository,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { ImageServiceClient } from '@cinderflow/image-client';
import { CONFIG, OUTBOX, RPC_CLIENT } from '@cinderflow/service-runtime';
import {
  snapshotMachine,
  VOLUME_ATTACH_RESETTABLE_STATUSES,
  VOLUME_RESETTABLE_STATUSES,
  volumeAttachMachine,
  type VolumeEvent,
  volumeMachine,
} from '@cinderflow/status-machines';
import { Caller, Version } from '../common/api-request';
import {
  badRequest,
  CinderHttpError,
  invalidInput,
  invalidVolume,
  NOT_FOUND,
  notFound,
} from '../common/cinder-errors';
import type { ApiVersion } from '../common/microversion';
import { isRemoteRefusal } from '../common/fault.filter';
import { projectRoutes } from '../common/project-routes';
import { authorize } from '../common/policy';
import { NotFoundMessage } from '../common/resource-ids';
import { NullableString, Strict, StringEnum, Type, Uuid, UuidOrNull } from '../common/schema';
import { RequestSchema } from '../common/validation';
import { VOLUME_ACTIONS } from './actions';
import { VolumesService } from './volumes.service';

type ActionBody = Record<string, Record<string, unknown> | null>;

/**
 * Cinder's volume_actions: cinder-volume refusing an attach or detach (the state changed since
 * the API looked) is the caller's 400, not a 500.
 */
function refused(verb: string) {
  return (error: unknown): never => {
    if (isRemoteRefusal(error)) {
      const { type, message } = error as RemoteError;
      throw badRequest(`Error ${verb} volume - ${type}: ${message}`);
    }
    throw error;
  };
}

const connectorBody = new RequestSchema(
  Type.Object({ connector: Type.Unsafe<Connector>({ type: 'object' }) }),
);

const attachBody = new RequestSchema(
  Strict({
    instance_uuid: Type.Optional(Uuid),
    host_name: Type.Optional(Type.String({ maxLength: 255 })),
    mountpoint: Type.String({ maxLength: 255 }),
    mode: Type.Optional(StringEnum(['rw', 'ro'])),
  }),
);

const detachBody = new RequestSchema(
  Type.Unsafe<{ attachment_id?: string | null } | null>({
    type: ['object', 'null'],
    properties: { attachment_id: UuidOrNull },
  }),
);

/** Cinder's cinder/api/schemas/volumes.py `revert`. */
const revertBody = new RequestSchema(
  Strict({
    revert: Type.Object(
      { snapshot_id: Type.Optional(NullableString()) },
      { additionalProperties: true },
    ),
  }),
);

const resetBody = new RequestSchema(
  Strict(
    {
      status: Type.Optional(Type.String()),
      attach_status: Type.Optional(StringEnum(VOLUME_ATTACH_RESETTABLE_STATUSES)),
      migration_status: Type.Optional(NullableString()),
    },
    { minProperties: 1 },
  ),
);

/**
 * The policy rule of each action, asked with the volume as the target once it is found
 * (cinder/api/contrib/volume_actions.py, admin_actions.py, volume_image_metadata.py and
 * volume/api.py). `revert` is asked once its microversion is known to exist.
 */
const ACTION_RULES: Record<string, (volume: VolumeEntity, version: ApiVersion) => string> = {
  'os-reserve': () => 'volume_extension:volume_actions:reserve',
  'os-unreserve': () => 'volume_extension:volume_actions:unreserve',
  'os-begin_detaching': () => 'volume_extension:volume_actions:begin_detaching',
  'os-roll_detaching': () => 'volume_extension:volume_actions:roll_detaching',
  'os-initialize_connection': () => 'volume_extension:volume_actions:initialize_connection',
  'os-terminate_connection': () => 'volume_extension:volume_actions:terminate_connection',
  'os-attach': () => 'volume_extension:volume_actions:attach',
  'os-detach': () => 'volume_extension:volume_actions:detach',
  'os-force_delete': () => 'volume_extension:volume_admin_actions:force_delete',
  'os-reset_status': () => 'volume_extension:volume_admin_actions:reset_status',
  'os-migrate_volume': () => 'volume_extension:volume_admin_actions:migrate_volume',
  'os-extend': (volume, version) =>
    version.atLeast('3.42') && volume.status === 'in-use'
      ? 'volume:extend_attached_volume'
      : 'volume:extend',
  'os-retype': () => 'volume:retype',
  // _set_bootable is a volume_api.update.
  'os-set_bootable': () => 'volume:update',
  'os-update_readonly_flag': () => 'volume:update_readonly_flag',
  'os-set_image_metadata': () => 'volume_extension:volume_image_metadata:set',
  'os-unset_image_metadata': () => 'volume_extension:volume_image_metadata:remove',
  'os-show_image_metadata': () => 'volume_extension:volume_image_metadata:show',
  'os-volume_upload_image': () => 'volume_extension:volume_actions:upload_image',
};

/**
 * `POST /volumes/{id}/action`: the legacy attach/detach actions python-cinderclient and Nova
 * still use, force-delete and reset-status. Status changes are the volume machine's events.
 */
@Controller(projectRoutes('volumes'))
@NotFoundMessage(NOT_FOUND.volume)
export class VolumeActionsController {
  private readonly volumeRows: VolumesRepository;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    private readonly volumes: VolumesService,
    private readonly images: ImageServiceClient,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {
    this.volumeRows = new VolumesRepository(dataSource.manager);
  }

  @Post(':id/action')
  @HttpCode(202)
  async act(
    @Param('id') id: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (!body || typeof body !== 'object' || Object.keys(body).length !== 1) {
      throw badRequest('Malformed request body');
    }
    const [action, args] = Object.entries(body as ActionBody)[0];
    const volume = await this.volumes.get(caller, id);
    if (Object.hasOwn(ACTION_RULES, action)) {
      authorize(caller, ACTION_RULES[action](volume, version), volume);
    }
    // Own keys only: an action named `constructor` is not one.
    if (Object.hasOwn(VOLUME_ACTIONS, action)) {
      const handler = VOLUME_ACTIONS[action];
      const ctx = {
        dataSource: this.dataSource,
        outbox: this.outbox,
        caller,
        version,
        volume,
        images: this.images,
        config: this.config,
      };
      const result = await handler(ctx, args);
      if (!result) return;
      res.status(result.status);
      return result.body;
    }
    switch (action) {
      case 'os-reserve':
        return this.transition(
          volume,
          volume.multiattach ? 'reserve_multiattach' : 'reserve',
          'reserve',
        );
      case 'os-unreserve':
        return this.unreserve(volume);
      case 'os-begin_detaching':
        return this.transition(
          volume,
          'begin_detaching',
          'begin detaching',
          "attach_status = 'attached'",
        );
      case 'os-roll_detaching':
        return this.transition(volume, 'roll_detaching', 'roll detaching');
      case 'os-initialize_connection': {
        this.notInMaintenance(volume);
        const { connector } = connectorBody.check(args);
        const info = await this.rpc.call(this.backendOf(volume), VolumeRpc.initializeConnection, {
          volume_id: volume.id,
          connector,
        });
        res.status(200);
        return { connection_info: { ...info, enforce_multipath: false } };
      }
      case 'os-terminate_connection': {
        const { connector } = connectorBody.check(args);
        await this.rpc.call(this.backendOf(volume), VolumeRpc.terminateConnection, {
          volume_id: volume.id,
          connector,
        });
        return this.unreserve(await this.volumes.get(caller, id));
      }
      case 'os-attach': {
        this.notInMaintenance(volume);
        const a = attachBody.check(args);
        if (!a.instance_uuid && !a.host_name) {
          throw invalidVolume('Invalid request to attach volume to an invalid target');
        }
        if (volume.admin_metadata.readonly === 'True' && (a.mode ?? 'rw') !== 'ro') {
          // Cinder's InvalidVolumeAttachMode, checked (by the API) before the status.
          throw badRequest(`Invalid attaching mode '${a.mode ?? 'rw'}' for volume ${volume.id}.`);
        }
        this.attachable(volume);
        await this.rpc
          .call(this.backendOf(volume), VolumeRpc.attachVolume, {
            volume_id: volume.id,
            instance_uuid: a.instance_uuid ?? null,
            host_name: a.host_name ?? null,
            mountpoint: a.mountpoint,
            mode: a.mode ?? 'rw',
          })
          .catch(refused('attaching'));
        return;
      }
      case 'os-detach': {
        this.notInMaintenance(volume);
        const { attachment_id } = detachBody.check(args) ?? {};
        await this.detachable(volume, attachment_id ?? null);
        await this.rpc
          .call(this.backendOf(volume), VolumeRpc.detachVolume, {
            volume_id: volume.id,
            attachment_id: attachment_id ?? null,
          })
          .catch(refused('detaching'));
        return;
      }
      case 'os-force_delete':
        return this.volumes.delete(caller, id, true);
      case 'os-reset_status':
        return this.resetStatus(volume, args);
      case 'revert':
        // Before 3.40 the action does not exist: Cinder's bare 404.
        if (!version.atLeast('3.40')) throw notFound('The resource could not be found.');
        authorize(caller, 'volume:revert_to_snapshot', volume);
        return this.revert(volume, revertBody.check(body).revert.snapshot_id ?? null);
      default:
        throw badRequest(`There is no such action: ${action}`);
    }
  }

  private async transition(volume: VolumeEntity, event: VolumeEvent, verb: string, guard?: string) {
    try {
      await applyTransition(this.dataSource.manager, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume.id,
        event,
        where: guard ? { sql: guard, params: {} } : undefined,
      });
    } catch (error) {
      if (error instanceof StatusConflictError) {
        throw invalidVolume(
          `Volume status must be ${volumeMachine.allowedFrom(event).join(' or ')} to ${verb}, ` +
            `but the status is ${error.current}.`,
        );
      }
      throw error;
    }
  }

  /**
   * os-revert (3.40, Cinder's VolumeController.revert and volume/api.py revert_to_snapshot):
   * only to the volume's latest snapshot, of the volume's size. The volume goes `reverting` and
   * the snapshot `restoring` in one transaction with the cast to the volume's backend. Both
   * checks are made again once that transaction holds the volume's row: a snapshot create holds
   * it too (FOR SHARE) until it commits, so a snapshot created, or an extend finished, after the
   * first checks is seen then, and the revert refused as it would have been.
   */
  private async revert(volume: VolumeEntity, snapshotId: string | null) {
    const latest = this.checkRevert(
      volume,
      await this.volumeRows.latestSnapshot(volume.id),
      snapshotId,
    );
    const refusal = `Can't revert volume ${volume.id} to its latest snapshot ${latest.id}.`;
    await this.dataSource.transaction(async (tx) => {
      const row = await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume.id,
        event: 'revert_start',
      }).catch((error: unknown) => {
        if (error instanceof StatusConflictError) {
          throw new CinderHttpError(
            409,
            `Invalid volume: ${refusal} Volume's status must be 'available'.`,
          );
        }
        throw error;
      });
      this.checkRevert(row, await new VolumesRepository(tx).latestSnapshot(volume.id), snapshotId);
      await applyTransition(tx, {
        machine: snapshotMachine,
        entity: SnapshotEntity,
        id: latest.id,
        event: 'revert_start',
      }).catch((error: unknown) => {
        if (error instanceof StatusConflictError || error instanceof RecordNotFoundError) {
          throw new CinderHttpError(
            409,
            `Invalid snapshot: ${refusal} Snapshot's status must be 'available'.`,
          );
        }
        throw error;
      });
      await this.outbox.send(
        tx,
        Destinations.volume(backendOf(row.host!)),
        VolumeRpc.revertToSnapshot,
        { volume_id: volume.id, snapshot_id: latest.id },
      );
    });
  }

  /** Cinder's checks of os-revert: the named snapshot is the volume's latest, of its size. */
  private checkRevert(
    volume: VolumeEntity,
    latest: SnapshotEntity | null,
    snapshotId: string | null,
  ): SnapshotEntity {
    if (!latest) throw badRequest(`Volume ${volume.id} doesn't have any snapshots.`);
    if (snapshotId !== latest.id) {
      throw badRequest(
        `Specified snapshot ${snapshotId ?? 'None'} is None or not the latest one of volume ${volume.id}.`,
      );
    }
    if (volume.size !== latest.volume_size) {
      throw badRequest(
        `Can't revert volume ${volume.id} to its latest snapshot ${latest.id}. ` +
          'The volume size must be equal to the snapshot size.',
      );
    }
    return latest;
  }

  /** os-unreserve: `attaching` goes back to in-use or available; anything else is left alone. */
  private async unreserve(volume: VolumeEntity) {
    const attached = await new AttachmentsRepository(this.dataSource.manager).countAttachedOfVolume(
      volume.id,
    );
    await applyTransition(this.dataSource.manager, {
      machine: volumeMachine,
      entity: VolumeEntity,
      id: volume.id,
      event: attached > 0 ? 'unreserve_attached' : 'unreserve',
    }).catch((error: unknown) => {
      if (!(error instanceof StatusConflictError)) throw error;
    });
  }

  private async resetStatus(volume: VolumeEntity, args: unknown) {
    const request = resetBody.check(args);
    if (
      request.status !== undefined &&
      !(VOLUME_RESETTABLE_STATUSES as readonly string[]).includes(request.status)
    ) {
      throw invalidInput(`Invalid volume status: ${request.status}`);
    }
    // Both change together, as Cinder's one volume_update does.
    await this.dataSource.transaction(async (tx) => {
      if (request.status !== undefined) {
        await applyTransition(tx, {
          machine: volumeMachine,
          entity: VolumeEntity,
          id: volume.id,
          event: `reset_to_${request.status}` as VolumeEvent,
        });
      }
      if (request.attach_status !== undefined) {
        await applyTransition(tx, {
          machine: volumeAttachMachine,
          entity: VolumeEntity,
          column: 'attach_status',
          id: volume.id,
          event: `reset_to_${request.attach_status}`,
        });
      }
    });
  }

  /**
   * os-attach needs a reserved volume (os-reserve, or an attachment-create) or, for a
   * multiattach one, an attached one; refused here rather than by cinder-volume's transition.
   */
  private attachable(volume: VolumeEntity): void {
    const allowed = volumeMachine.allowedFrom('attach');
    if (!allowed.includes(volume.status)) {
      throw invalidVolume(
        `Volume status must be ${allowed.join(' or ')} to attach, but the status is ${volume.status}.`,
      );
    }
    if (volume.status === 'in-use' && !volume.multiattach) {
      // cinder/volume/manager.py attach_volume's words.
      throw invalidVolume('volume is already attached and multiple attachments are not enabled');
    }
  }

  /** os-detach needs something to detach: an attachment named, or exactly one. */
  private async detachable(volume: VolumeEntity, attachmentId: string | null): Promise<void> {
    const allowed = volumeMachine.allowedFrom('last_attachment_gone');
    if (!allowed.includes(volume.status)) {
      throw invalidVolume(
        `Volume status must be ${allowed.join(' or ')} to detach, but the status is ${volume.status}.`,
      );
    }
    if (attachmentId) return;
    const live = await new AttachmentsRepository(this.dataSource.manager).countOfVolume(volume.id);
    if (live === 0) throw invalidVolume(`Volume ${volume.id} has no attachment to detach.`);
    if (live > 1) {
      throw invalidVolume(
        'Detach volume failed: More than one attachment, but no attachment_id provided.',
      );
    }
  }

  private notInMaintenance(volume: VolumeEntity): void {
    if (volume.status === 'maintenance') {
      throw invalidVolume('Volume is in maintenance status, cannot be attached or detached.');
    }
  }

  private backendOf(volume: VolumeEntity) {
    if (!volume.host) throw invalidVolume(`Volume ${volume.id} has no backend.`);
    return Destinations.volume(volume.host.split('#')[0]);
  }
}
