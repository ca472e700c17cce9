import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { Destinations, SchedulerRpc } from '@cinderflow/contracts';
import type { Outbox } from '@cinderflow/messaging';
import { VolumeEntity } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, OUTBOX } from '@cinderflow/service-runtime';
import { volumeAttachMachine, volumeMachine } from '@cinderflow/status-machines';
import { AvailabilityZonesService } from '../../availability-zones/availability-zones.service';
import { findBackup } from '../../backups/find-backup';
import { badRequest, invalidBackup, invalidInput } from '../../common/cinder-errors';
import { VolumeTypesService } from '../../types/volume-types.service';
import type { CreateVolumeBody } from '../../volumes/volume.schemas';

/**
 * The API side of create (Cinder's volume_create_api flow): extract and check the request,
 * write the volume in `creating` together with its cast to the schedulers. Every check happens
 * before the write, so a refused request leaves nothing behind.
 */
@Injectable()
export class CreateVolumeFlow {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly types: VolumeTypesService,
    private readonly zones: AvailabilityZonesService,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  async run(
    caller: RequestContext,
    body: CreateVolumeBody,
  ): Promise<{ volume: VolumeEntity; typeName: string }> {
    const request = await this.extract(caller, body);
    const volume = await this.entryCreate(caller, request);
    return { volume, typeName: request.typeName };
  }

  private async extract(caller: RequestContext, body: CreateVolumeBody) {
    const v = body.volume;
    if (v.multiattach === true) {
      throw invalidInput(
        'The multiattach parameter has been removed; multiattach comes from a volume type with the extra spec multiattach="<is> True".',
      );
    }
    const sources = (
      ['snapshot_id', 'source_volid', 'imageRef', 'image_id', 'backup_id'] as const
    ).filter((key) => v[key] !== undefined && v[key] !== null);
    if (sources.length > 1) {
      throw invalidInput(`Only one of ${sources.join(', ')} may be given.`);
    }
    if (sources.length === 1 && sources[0] !== 'backup_id') {
      throw badRequest(
        `Creating a volume from ${sources[0]} is not supported by this deployment yet.`,
      );
    }
    // From a backup (3.47): an empty volume here, its bytes then restored by cinder-backup.
    const backup = v.backup_id
      ? await findBackup(this.dataSource.manager, caller, v.backup_id)
      : null;
    if (backup && backup.status !== 'available') {
      throw invalidBackup("Originating backup status must be one of 'available' values");
    }
    if (v.consistencygroup_id || v.group_id) {
      throw badRequest('Creating a volume in a group is not supported by this deployment yet.');
    }
    const size = v.size === undefined || v.size === null ? backup?.size : Number(v.size);
    if (size === undefined || !Number.isInteger(size) || size <= 0) {
      throw invalidInput(
        `Volume size '${v.size === undefined || v.size === null ? 'None' : String(v.size)}' must be an integer and greater than 0`,
      );
    }
    if (backup && size < backup.size) {
      throw invalidInput(
        `Volume size ${size}GB cannot be smaller than the backup size ${backup.size}GB. It must be >= backup size.`,
      );
    }
    if (size > this.config.MAX_VOLUME_SIZE_GB) {
      throw invalidInput(`Volume size '${size}' must be at most ${this.config.MAX_VOLUME_SIZE_GB}`);
    }
    const availabilityZone = v.availability_zone ?? this.zones.defaultZone();
    const known = await this.zones.list();
    if (!known.some((zone) => zone.name === availabilityZone)) {
      throw badRequest(`Availability zone '${availabilityZone}' is invalid.`);
    }
    const type = await this.types.resolve(v.volume_type);
    return {
      size,
      availabilityZone,
      typeId: type.id,
      typeName: type.name,
      extraSpecs: type.extra_specs,
      multiattach: /^<is>\s+true$/i.test(type.extra_specs.multiattach ?? ''),
      name: v.name !== undefined ? v.name : (v.display_name ?? null),
      description: v.description !== undefined ? v.description : (v.display_description ?? null),
      metadata: v.metadata ?? {},
      backupId: backup?.id ?? null,
    };
  }

  /**
   * Writes the volume and the cast to the schedulers in one transaction (the outbox relays the
   * cast after the commit): an accepted request is never left `creating` with nobody to build it.
   */
  private async entryCreate(
    caller: RequestContext,
    request: Awaited<ReturnType<CreateVolumeFlow['extract']>>,
  ): Promise<VolumeEntity> {
    const volume: VolumeEntity = {
      id: randomUUID(),
      project_id: caller.projectId,
      user_id: caller.userId,
      display_name: request.name,
      display_description: request.description,
      size: request.size,
      status: volumeMachine.initial,
      attach_status: volumeAttachMachine.initial,
      availability_zone: request.availabilityZone,
      host: null,
      volume_type_id: request.typeId,
      metadata: request.metadata,
      snapshot_id: null,
      source_volid: null,
      admin_metadata: {},
      migration_status: null,
      bootable: false,
      multiattach: request.multiattach,
      scheduling_attempt: 0,
      previous_status: null,
      created_at: new Date(),
      updated_at: null,
      launched_at: null,
      terminated_at: null,
      deleted_at: null,
      deleted: false,
    };
    await this.dataSource.transaction(async (tx) => {
      await tx.insert(VolumeEntity, volume);
      await this.outbox.send(tx, Destinations.scheduler(), SchedulerRpc.createVolume, {
        request_spec: {
          volume_id: volume.id,
          size: volume.size,
          availability_zone: volume.availability_zone,
          volume_type: {
            id: volume.volume_type_id,
            name: request.typeName,
            extra_specs: request.extraSpecs,
          },
          ...(request.backupId ? { backup_id: request.backupId } : {}),
        },
        retry: { num_attempts: 1, backends: [], exc_reasons: [] },
      });
    });
    return volume;
  }
}
