import { Controller, Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  type Connector,
  type CopyVolumeToImage,
  copyVolumeToImageSchema,
  type CreateVolume,
  VolumeRpc,
} from '@cinderflow/contracts';
import { type DeadLetter, RpcDeadLetter, RpcHandler } from '@cinderflow/messaging';
import {
  MessageActions,
  MessageDetails,
  QuotaEngine,
  reservationsIn,
  settleResource,
  SnapshotEntity,
  VolumeEntity,
} from '@cinderflow/persistence';
import {
  settleDeadCreateVolume,
  settleDeadLetter,
  settleDeadMigration,
} from '@cinderflow/service-runtime';
import { snapshotMachine, volumeMachine } from '@cinderflow/status-machines';
import { CapabilityReporter } from './capabilities/capability-reporter';
import { VOLUME_DRIVER, type VolumeDriver } from './drivers/volume-driver';
import { AttachVolumeHandler } from './flows/attach-volume/attach-volume.handler';
import { CreateSnapshotHandler } from './flows/create-snapshot/create-snapshot.handler';
import { CreateVolumeHandler } from './flows/create-volume/create-volume.handler';
import { DeleteSnapshotHandler } from './flows/delete-snapshot/delete-snapshot.handler';
import { DeleteVolumeHandler } from './flows/delete-volume/delete-volume.handler';
import { ExtendVolumeHandler } from './flows/extend-volume/extend-volume.handler';
import { MigrateVolumeHandler } from './flows/migrate-volume/migrate-volume.handler';
import { RetypeVolumeHandler } from './flows/retype-volume/retype-volume.handler';
import { RevertVolumeHandler } from './flows/revert-volume/revert-volume.handler';
import { SnapshotConnectionHandler } from './flows/snapshot-connection/snapshot-connection.handler';
import { UPLOAD_IMAGE_KEY, UploadVolumeHandler } from './flows/upload-volume/upload-volume.handler';
import { InitHostCleanup } from './init-host/init-host.cleanup';

/** cinder-volume's RPC surface; each handler lives with its flow. */
@Controller()
export class VolumeManagerController implements OnApplicationBootstrap {
  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly createVolume: CreateVolumeHandler,
    private readonly deleteVolume: DeleteVolumeHandler,
    private readonly cleanup: InitHostCleanup,
    private readonly capabilities: CapabilityReporter,
    private readonly attach: AttachVolumeHandler,
    private readonly extendVolume: ExtendVolumeHandler,
    private readonly retypeVolume: RetypeVolumeHandler,
    private readonly migrateVolume: MigrateVolumeHandler,
    private readonly createSnapshot: CreateSnapshotHandler,
    private readonly deleteSnapshot: DeleteSnapshotHandler,
    private readonly snapshotConnection: SnapshotConnectionHandler,
    @Inject(DataSource) private readonly dataSource: DataSource,
    private readonly revert: RevertVolumeHandler,
    private readonly upload: UploadVolumeHandler,
  ) {}

  /** Runs before the transport starts consuming: storage ready, leftovers settled, then report. */
  async onApplicationBootstrap(): Promise<void> {
    await this.driver.doSetup();
    await this.cleanup.run();
    await this.capabilities.report();
    this.capabilities.start();
  }

  @RpcHandler(VolumeRpc.createVolume)
  onCreateVolume(@Payload() message: CreateVolume): Promise<void> {
    return this.createVolume.handle(message);
  }

  /** A create that can never succeed here: the volume ends `error`, with a user message. */
  @RpcDeadLetter(VolumeRpc.createVolume)
  async onCreateVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadCreateVolume(this.dataSource, letter);
  }

  /** A delete that can never succeed: `error_deleting`, from which a user may delete again. */
  @RpcDeadLetter(VolumeRpc.deleteVolume)
  async onDeleteVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadLetter(this.dataSource, letter, 'volume_id', {
      machine: volumeMachine,
      entity: VolumeEntity,
      events: ['delete_failed'],
      resourceType: 'volume',
    });
  }

  @RpcHandler(VolumeRpc.deleteVolume)
  async onDeleteVolume(@Payload() message: { volume_id: string }): Promise<void> {
    await this.deleteVolume.handle(message.volume_id);
  }

  @RpcHandler(VolumeRpc.extendVolume)
  async onExtendVolume(
    @Payload() m: { volume_id: string; new_size: number; reservations: string[] },
  ): Promise<void> {
    await this.extendVolume.handle(m.volume_id, m.new_size, m.reservations);
  }

  /** An extend that can never run here: `error_extending`, as a driver failure leaves it. */
  @RpcDeadLetter(VolumeRpc.extendVolume)
  async onExtendVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadLetter(this.dataSource, letter, 'volume_id', {
      machine: volumeMachine,
      entity: VolumeEntity,
      events: ['extend_failed'],
      set: { admin_metadata: () => "admin_metadata - 'extend_new_size'" },
      resourceType: 'volume',
    });
    await new QuotaEngine(this.dataSource).rollback(reservationsIn(letter.payload));
  }

  @RpcHandler(VolumeRpc.retypeVolume)
  async onRetypeVolume(
    @Payload() m: { volume_id: string; new_type_id: string; reservations: string[] },
  ): Promise<void> {
    await this.retypeVolume.handle(m.volume_id, m.new_type_id, m.reservations);
  }

  /** A retype that can never run here: the volume goes back to what it was, type unchanged. */
  @RpcDeadLetter(VolumeRpc.retypeVolume)
  async onRetypeVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadLetter(this.dataSource, letter, 'volume_id', {
      machine: volumeMachine,
      entity: VolumeEntity,
      events: ['retype_or_migrate_finished'],
      resourceType: 'volume',
    });
    await new QuotaEngine(this.dataSource).rollback(reservationsIn(letter.payload));
  }

  @RpcHandler(VolumeRpc.migrateVolume)
  async onMigrateVolume(
    @Payload()
    m: {
      volume_id: string;
      host: string;
      new_type_id: string | null;
      reservations: string[];
    },
  ): Promise<void> {
    await this.migrateVolume.handle(m);
  }

  /** A migration that can never run: the volume goes back to what it was, where it was. */
  @RpcDeadLetter(VolumeRpc.migrateVolume)
  async onMigrateVolumeDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadMigration(this.dataSource, letter);
    await new QuotaEngine(this.dataSource).rollback(reservationsIn(letter.payload));
  }

  @RpcHandler(VolumeRpc.migrationTarget)
  onMigrationTarget(
    @Payload() m: { volume_id: string; size: number; op: 'prepare' | 'finish' | 'abort' },
  ) {
    return this.migrateVolume.target(m);
  }

  @RpcHandler(VolumeRpc.createSnapshot)
  async onCreateSnapshot(@Payload() message: { snapshot_id: string }): Promise<void> {
    await this.createSnapshot.handle(message.snapshot_id);
  }

  /** A create that can never succeed here: the snapshot ends `error`, with a user message. */
  @RpcDeadLetter(VolumeRpc.createSnapshot)
  async onCreateSnapshotDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadLetter(this.dataSource, letter, 'snapshot_id', {
      machine: snapshotMachine,
      entity: SnapshotEntity,
      events: ['create_failed'],
      resourceType: 'snapshot',
      message: {
        action: MessageActions.SNAPSHOT_CREATE,
        detail: MessageDetails.SNAPSHOT_CREATE_ERROR,
        resourceType: 'VOLUME_SNAPSHOT',
      },
    });
  }

  @RpcHandler(VolumeRpc.deleteSnapshot)
  async onDeleteSnapshot(@Payload() message: { snapshot_id: string }): Promise<void> {
    await this.deleteSnapshot.handle(message.snapshot_id);
  }

  /** A delete that can never succeed: `error_deleting`, from which a user may delete again. */
  @RpcDeadLetter(VolumeRpc.deleteSnapshot)
  async onDeleteSnapshotDead(@Payload() letter: DeadLetter): Promise<void> {
    await settleDeadLetter(this.dataSource, letter, 'snapshot_id', {
      machine: snapshotMachine,
      entity: SnapshotEntity,
      events: ['delete_failed'],
      resourceType: 'snapshot',
      message: {
        action: MessageActions.SNAPSHOT_DELETE,
        detail: MessageDetails.SNAPSHOT_DELETE_ERROR,
        resourceType: 'VOLUME_SNAPSHOT',
      },
    });
  }

  @RpcHandler(VolumeRpc.publishServiceCapabilities)
  onPublishServiceCapabilities(): Promise<void> {
    return this.capabilities.report();
  }

  @RpcHandler(VolumeRpc.getCapabilities)
  onGetCapabilities(): Promise<Record<string, unknown>> {
    return this.capabilities.withProperties();
  }

  @RpcHandler(VolumeRpc.attachmentUpdate)
  onAttachmentUpdate(
    @Payload() m: { volume_id: string; attachment_id: string; connector: Connector },
  ) {
    return this.attach.attachmentUpdate(m.volume_id, m.attachment_id, m.connector);
  }

  @RpcHandler(VolumeRpc.attachmentDelete)
  onAttachmentDelete(@Payload() m: { volume_id: string; attachment_id: string }) {
    return this.attach.attachmentDelete(m.volume_id, m.attachment_id);
  }

  @RpcHandler(VolumeRpc.initializeConnection)
  onInitializeConnection(@Payload() m: { volume_id: string; connector: Connector }) {
    return this.attach.initializeConnection(m.volume_id, m.connector);
  }

  @RpcHandler(VolumeRpc.terminateConnection)
  onTerminateConnection(@Payload() m: { volume_id: string; connector: Connector }) {
    return this.attach.terminateConnection(m.volume_id, m.connector);
  }

  @RpcHandler(VolumeRpc.attachVolume)
  onAttachVolume(
    @Payload()
    m: {
      volume_id: string;
      instance_uuid: string | null;
      host_name: string | null;
      mountpoint: string;
      mode: 'rw' | 'ro';
    },
  ) {
    return this.attach.attachVolume(m);
  }

  @RpcHandler(VolumeRpc.detachVolume)
  onDetachVolume(@Payload() m: { volume_id: string; attachment_id: string | null }) {
    return this.attach.detachVolume(m.volume_id, m.attachment_id);
  }

  @RpcHandler(VolumeRpc.revertToSnapshot)
  async onRevertToSnapshot(@Payload() m: { volume_id: string; snapshot_id: string }) {
    await this.revert.handle(m.volume_id, m.snapshot_id);
  }

  /** A revert that can never run: the volume `error`, its snapshot `available` again. */
  @RpcDeadLetter(VolumeRpc.revertToSnapshot)
  async onRevertToSnapshotDead(@Payload() letter: DeadLetter): Promise<void> {
    const parsed = z
      .object({ volume_id: z.string().uuid(), snapshot_id: z.string().uuid() })
      .safeParse(letter.payload);
    if (!parsed.success) return;
    const { volume_id, snapshot_id } = parsed.data;
    // Both in one transaction, as the handler's failure does.
    await this.dataSource.transaction(async (tx) => {
      await settleResource(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume_id,
        events: ['revert_failed'],
        resourceType: 'volume',
      });
      await settleResource(tx, {
        machine: snapshotMachine,
        entity: SnapshotEntity,
        id: snapshot_id,
        events: ['revert_finished'],
        resourceType: 'snapshot',
      });
    });
  }

  @RpcHandler(VolumeRpc.copyVolumeToImage)
  async onCopyVolumeToImage(@Payload() message: CopyVolumeToImage): Promise<void> {
    await this.upload.handle(message);
  }

  /**
   * An upload that can never run: the volume returns to what it was, with Cinder's user
   * message, if it is still `uploading` for the image the letter names (any, if it names none).
   */
  @RpcDeadLetter(VolumeRpc.copyVolumeToImage)
  async onCopyVolumeToImageDead(@Payload() letter: DeadLetter): Promise<void> {
    const parsed = copyVolumeToImageSchema.safeParse(letter.payload);
    const imageId = parsed.success ? parsed.data.image_meta.id : null;
    await settleDeadLetter(this.dataSource, letter, 'volume_id', {
      machine: volumeMachine,
      entity: VolumeEntity,
      events: ['upload_finished'],
      set: { admin_metadata: () => `admin_metadata - '${UPLOAD_IMAGE_KEY}'` },
      where: imageId
        ? { sql: `admin_metadata->>'${UPLOAD_IMAGE_KEY}' = :imageId`, params: { imageId } }
        : undefined,
      resourceType: 'volume',
      message: {
        action: MessageActions.COPY_VOLUME_TO_IMAGE,
        detail: MessageDetails.FAILED_TO_UPLOAD_VOLUME,
      },
    });
  }

  @RpcHandler(VolumeRpc.initializeConnectionSnapshot)
  onInitializeConnectionSnapshot(@Payload() m: { snapshot_id: string }) {
    return this.snapshotConnection.initialize(m.snapshot_id);
  }

  @RpcHandler(VolumeRpc.terminateConnectionSnapshot)
  onTerminateConnectionSnapshot(@Payload() m: { snapshot_id: string }) {
    return this.snapshotConnection.terminate(m.snapshot_id);
  }
}
