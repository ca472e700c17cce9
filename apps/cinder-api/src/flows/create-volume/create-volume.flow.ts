import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { type GlanceImage, ImageServiceError, ImageServiceClient } from '@cinderflow/image-client';
import { Binaries, Destinations, SchedulerRpc } from '@cinderflow/contracts';
import type { Outbox } from '@cinderflow/messaging';
import {
  OverQuotaError,
  type QuotaEngine,
  type SnapshotEntity,
  SnapshotsRepository,
  VolumeEntity,
  VolumesRepository,
  type VolumeTypeEntity,
  VolumeTypesRepository,
  ServicesRepository,
} from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG, OUTBOX } from '@cinderflow/service-runtime';
import { volumeAttachMachine, volumeMachine } from '@cinderflow/status-machines';
import { AvailabilityZonesService } from '../../availability-zones/availability-zones.service';
import { findBackup } from '../../backups/find-backup';
import {
  badRequest,
  invalidBackup,
  invalidInput,
  invalidSnapshot,
  invalidVolume,
  NOT_FOUND,
  notFound,
} from '../../common/cinder-errors';
import { imageServiceAway } from '../../common/image-service';
import { quotaEngineOf, volumeDeltas } from '../../common/quota';
import { overQuotaFault, volumeSizeExceedsLimit } from '../../common/quota-errors';
import { scopeOf } from '../../common/scope';
import { VolumeTypesService } from '../../types/volume-types.service';
import type { CreateVolumeBody } from '../../volumes/volume.schemas';
import { checkImageMetadata, imageIdFromRef } from './image-source';

/**
 * The API side of create (Cinder's volume_create_api flow): extract and check the request,
 * write the volume in `creating` together with its cast to the schedulers. Every check happens
 * before the write, so a refused request leaves nothing behind.
 */
@Injectable()
export class CreateVolumeFlow {
  private readonly volumeRows: VolumesRepository;
  private readonly snapshotRows: SnapshotsRepository;
  private readonly typeRows: VolumeTypesRepository;
  private readonly quotas: QuotaEngine;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly types: VolumeTypesService,
    private readonly zones: AvailabilityZonesService,
    @Inject(OUTBOX) private readonly outbox: Outbox,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly images: ImageServiceClient,
  ) {
    this.volumeRows = new VolumesRepository(dataSource.manager);
    this.snapshotRows = new SnapshotsRepository(dataSource.manager);
    this.typeRows = new VolumeTypesRepository(dataSource.manager);
    this.quotas = quotaEngineOf(dataSource, config);
  }

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
    // Cinder's controller looks up everything named first: an unknown one is its 404.
    const requestedType =
      v.volume_type === undefined || v.volume_type === null || v.volume_type === ''
        ? null
        : await this.types.resolve(v.volume_type, caller);
    const snapshot = isGiven(v.snapshot_id) ? await this.findSnapshot(caller, v.snapshot_id) : null;
    const sourceVolume = isGiven(v.source_volid)
      ? await this.findVolume(caller, v.source_volid)
      : null;
    // `image_id` is the older name of `imageRef`; Cinder's controller renames it.
    const imageRef = v.image_id !== undefined ? v.image_id : v.imageRef;
    const backup = isGiven(v.backup_id)
      ? await findBackup(this.dataSource.manager, caller, v.backup_id)
      : null;
    if (v.multiattach === true) {
      throw invalidInput(
        'The multiattach parameter has been removed; multiattach comes from a volume type with the extra spec multiattach="<is> True".',
      );
    }
    // The volume a snapshot was taken of: its backend holds the snapshot's bytes.
    const snapshotVolume = snapshot ? await this.snapshotRows.volumeOf(snapshot) : null;
    if (snapshot && !snapshotVolume) throw notFound(NOT_FOUND.volume(snapshot.volume_id));
    if (requestedType && sourceVolume && requestedType.id !== sourceVolume.volume_type_id) {
      if (!(await this.retypePossible(sourceVolume.volume_type_id, requestedType))) {
        throw invalidInput(
          `Invalid volume_type provided: ${requestedType.id} (requested type is not compatible; either match source volume, or omit type argument).`,
        );
      }
    }
    if (requestedType && snapshot && requestedType.id !== snapshot.volume_type_id) {
      if (!(await this.retypePossible(snapshotVolume!.volume_type_id, requestedType))) {
        throw invalidInput(
          `Invalid volume_type provided: ${requestedType.id} (requested type is not compatible; recommend omitting the type argument).`,
        );
      }
    }
    // cinder/utils.py check_exclusive_options: every option's name, not just the given ones.
    // Before the image is looked up (Cinder's controller looks first): a request naming two
    // sources is refused without asking glance-api, which may be away.
    const given = [snapshot, isGiven(imageRef) ? imageRef : null, sourceVolume, backup];
    if (given.filter((x) => x !== null).length > 1) {
      throw invalidInput('May specify only one of backup, imageRef, snapshot, source volume');
    }
    const image = isGiven(imageRef) ? await imageIdFromRef(this.images, caller, imageRef) : null;
    if (snapshot && snapshot.status !== 'available') {
      throw invalidSnapshot("Originating snapshot status must be one of 'available' values");
    }
    if (sourceVolume && !['available', 'in-use'].includes(sourceVolume.status)) {
      throw invalidVolume(
        "Originating source volume status must be one of 'available, in-use' values",
      );
    }
    if (backup && backup.status !== 'available') {
      throw invalidBackup("Originating backup status must be one of 'available' values");
    }
    if (v.consistencygroup_id || v.group_id) {
      throw badRequest('Creating a volume in a group is not supported by this deployment yet.');
    }
    const size =
      v.size === undefined || v.size === null
        ? (sourceVolume?.size ?? snapshot?.volume_size ?? backup?.size)
        : Number(v.size);
    if (size === undefined || !Number.isInteger(size) || size <= 0) {
      throw invalidInput(
        `Volume size '${v.size === undefined || v.size === null ? 'None' : String(v.size)}' must be an integer and greater than 0`,
      );
    }
    if (sourceVolume && size < sourceVolume.size) {
      throw invalidInput(
        `Volume size '${size}'GB cannot be smaller than original volume size  ${sourceVolume.size}GB. They must be >= original volume size.`,
      );
    }
    if (snapshot && size < snapshot.volume_size) {
      throw invalidInput(
        `Volume size '${size}'GB cannot be smaller than the snapshot size ${snapshot.volume_size}GB. They must be >= original snapshot size.`,
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
    const imageMeta = image === null ? null : await this.imageMetadata(caller, image, size);
    // The image may name the type (its `cinder_img_volume_type` property).
    const imageType = imageMeta?.cinder_img_volume_type;
    // The type defaults to the source's (Cinder's _get_volume_type).
    const type =
      requestedType ??
      (sourceVolume
        ? await this.types.resolve(sourceVolume.volume_type_id, caller)
        : snapshot
          ? await this.types.resolve(snapshot.volume_type_id, caller)
          : typeof imageType === 'string' && imageType !== ''
            ? await this.types.resolve(imageType, caller)
            : await this.types.resolve(undefined, caller));
    // The zone defaults to the source's, and must be the source's (cloned_volume_same_az).
    const sourceZone = sourceVolume?.availability_zone ?? snapshotVolume?.availability_zone;
    const availabilityZone = v.availability_zone ?? sourceZone ?? this.zones.defaultZone();
    const known = await this.zones.list();
    if (!known.some((zone) => zone.name === availabilityZone)) {
      throw badRequest(`Availability zone '${availabilityZone}' is invalid.`);
    }
    if (snapshotVolume && availabilityZone !== snapshotVolume.availability_zone) {
      throw invalidInput('Volume must be in the same availability zone as the snapshot');
    }
    if (sourceVolume && availabilityZone !== sourceVolume.availability_zone) {
      throw invalidInput('Volume must be in the same availability zone as the source volume');
    }
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
      snapshotId: snapshot?.id ?? null,
      sourceVolid: sourceVolume?.id ?? null,
      imageId: image,
      // Where the source's bytes are: the only backend that can copy them (snapshot_same_host).
      resourceBackend: sourceVolume?.host ?? snapshotVolume?.host ?? null,
    };
  }

  /**
   * Cinder's ExtractVolumeRequestTask._get_image_metadata: the image as the caller sees it now
   * (gone since the controller found it: Cinder's ImageNotFound, 404), checked against the size.
   */
  private async imageMetadata(
    caller: RequestContext,
    imageId: string,
    size: number,
  ): Promise<GlanceImage> {
    const image = await this.images.show(caller, imageId).catch((error: unknown) => {
      // Refused to this caller since the controller found it: as good as gone.
      if (error instanceof ImageServiceError && error.status < 500) return null;
      throw imageServiceAway(error);
    });
    if (!image) throw notFound(`Image ${imageId} could not be found.`);
    checkImageMetadata(image, size);
    return image;
  }

  private async findSnapshot(caller: RequestContext, id: string): Promise<SnapshotEntity> {
    const snapshot = await this.snapshotRows.findLive(id, scopeOf(caller, true));
    if (!snapshot) throw notFound(NOT_FOUND.snapshot(id));
    return snapshot;
  }

  private async findVolume(caller: RequestContext, id: string): Promise<VolumeEntity> {
    const volume = await this.volumeRows.findLive(id, scopeOf(caller, true));
    if (!volume) throw notFound(NOT_FOUND.volume(id));
    return volume;
  }

  /**
   * Cinder's _retype_is_possible (no encrypted types here): any type will do with a single
   * volume service; otherwise both types must name the same volume_backend_name.
   */
  private async retypePossible(sourceTypeId: string, target: VolumeTypeEntity): Promise<boolean> {
    const services = await new ServicesRepository(this.dataSource.manager).countOfTopic(
      Binaries.volume,
    );
    if (services === 1) return true;
    const source = await this.typeRows.findLive(sourceTypeId);
    const from = source?.extra_specs.volume_backend_name;
    const to = target.extra_specs.volume_backend_name;
    return !!from && !!to && from === to;
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
      snapshot_id: request.snapshotId,
      source_volid: request.sourceVolid,
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
      await this.reserveQuota(tx, caller.projectId, volume.size, request.typeName);
      await new VolumesRepository(tx).insert(volume);
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
          ...(request.snapshotId ? { snapshot_id: request.snapshotId } : {}),
          ...(request.sourceVolid ? { source_volid: request.sourceVolid } : {}),
          ...(request.imageId ? { image_id: request.imageId } : {}),
          ...(request.resourceBackend ? { resource_backend: request.resourceBackend } : {}),
        },
        retry: { num_attempts: 1, backends: [], exc_reasons: [] },
      });
    });
    return volume;
  }

  /**
   * Cinder's QuotaReserveTask + QuotaCommitTask: the per-volume size limit, then volumes and
   * gigabytes (and their per-type resources) reserved and committed in the volume's own
   * transaction, so usage and the volume row never part. A failed build keeps counting (the
   * volume exists, in `error`) until it is deleted, as in Cinder.
   */
  private async reserveQuota(
    tx: EntityManager,
    projectId: string,
    size: number,
    typeName: string,
  ): Promise<void> {
    const perVolume = (await this.quotas.projectLimits(projectId, ['per_volume_gigabytes'], tx))
      .per_volume_gigabytes;
    if (perVolume >= 0 && size > perVolume) throw volumeSizeExceedsLimit(size, perVolume);
    try {
      const reservations = await this.quotas.reserve(projectId, volumeDeltas(size, typeName), tx);
      await this.quotas.commit(reservations, tx);
    } catch (err) {
      if (err instanceof OverQuotaError) throw overQuotaFault(err, 'volumes', size);
      throw err;
    }
  }
}

function isGiven(value: string | null | undefined): value is string {
  return value !== undefined && value !== null;
}
