import { z } from 'zod';
import { callMethod, castMethod } from '../rpc-method';
import { quotaReservations, requestSpecSchema, retrySchema } from '../scheduler/scheduler.rpc';

export const createVolumeSchema = z.object({
  request_spec: requestSpecSchema,
  retry: retrySchema,
  /** `host@backend#pool` the scheduler chose; the manager only acts when it is its own. */
  host: z.string(),
});

/** What a consumer (Nova, os-brick) says about itself; the shape is driver-specific. */
export const connectorSchema = z.record(z.unknown());

/** How to reach the volume's bytes: os-brick's `{driver_volume_type, data}`. */
export const connectionInfoSchema = z.object({
  driver_volume_type: z.string(),
  data: z.record(z.unknown()),
});

const volumeId = z.string().uuid();

/** Cinder's copy_volume_to_image(volume, image_meta): the image the API created, as Glance showed it. */
export const copyVolumeToImageSchema = z.object({
  volume_id: z.string().uuid(),
  image_meta: z.object({
    id: z.string().uuid(),
    container_format: z.string().nullable(),
    disk_format: z.string().nullable(),
  }),
});
const attachmentId = z.string().uuid();
const snapshotId = z.string().uuid();

export const VolumeRpc = {
  /** scheduler → cinder-volume.<host>@<backend> */
  createVolume: castMethod('create_volume', createVolumeSchema),
  /**
   * API → cinder-volume.<host>@<backend>. A cascade delete moved the volume's snapshots to
   * `deleting` in the same transaction: the manager deletes those first.
   */
  deleteVolume: castMethod('delete_volume', z.object({ volume_id: volumeId })),
  /** scheduler → every cinder-volume (fanout): report capabilities now. */
  publishServiceCapabilities: castMethod('publish_service_capabilities', z.object({})),
  /**
   * API → one cinder-volume (GET /capabilities/{host}): what the backend reports, with the
   * `properties` Cinder's drivers add (init_capabilities).
   */
  getCapabilities: callMethod(
    'get_capabilities',
    z.object({ discover: z.boolean() }),
    z.record(z.unknown()),
    10_000,
  ),

  // Attach and detach are calls, as in Cinder's rpcapi: the API answers with their result.
  /** Export the volume to a connector and record it on the attachment (attachments API). */
  attachmentUpdate: callMethod(
    'attachment_update',
    z.object({ volume_id: volumeId, attachment_id: attachmentId, connector: connectorSchema }),
    connectionInfoSchema,
  ),
  /** Remove an attachment's export and detach it. */
  attachmentDelete: callMethod(
    'attachment_delete',
    z.object({ volume_id: volumeId, attachment_id: attachmentId }),
    z.null(),
  ),
  /** Legacy os-initialize_connection: export and describe, no attachment row. */
  initializeConnection: callMethod(
    'initialize_connection',
    z.object({ volume_id: volumeId, connector: connectorSchema }),
    connectionInfoSchema,
  ),
  /** Legacy os-terminate_connection. */
  terminateConnection: callMethod(
    'terminate_connection',
    z.object({ volume_id: volumeId, connector: connectorSchema }),
    z.null(),
  ),
  /** Legacy os-attach: record the attachment and mark the volume in-use. */
  attachVolume: callMethod(
    'attach_volume',
    z.object({
      volume_id: volumeId,
      instance_uuid: z.string().nullable(),
      host_name: z.string().nullable(),
      mountpoint: z.string(),
      mode: z.enum(['rw', 'ro']),
    }),
    z.object({ attachment_id: attachmentId }),
  ),
  /** Legacy os-detach. */
  detachVolume: callMethod(
    'detach_volume',
    z.object({ volume_id: volumeId, attachment_id: attachmentId.nullable() }),
    z.null(),
  ),
  /** API → the volume's backend: take the snapshot (it is `creating`). */
  createSnapshot: castMethod(
    'create_snapshot',
    z.object({ snapshot_id: snapshotId, volume_id: volumeId }),
  ),
  /** API → the volume's backend: remove the snapshot (it is `deleting`). */
  deleteSnapshot: castMethod('delete_snapshot', z.object({ snapshot_id: snapshotId })),
  /** API → cinder-volume.<host>@<backend>: os-revert, to the volume's latest snapshot. */
  revertToSnapshot: castMethod(
    'revert_to_snapshot',
    z.object({ volume_id: volumeId, snapshot_id: snapshotId }),
  ),
  /**
   * cinder-backup → the snapshot's backend: reach a snapshot's bytes to back them up (Cinder's
   * initialize_connection_snapshot; read-only).
   */
  initializeConnectionSnapshot: callMethod(
    'initialize_connection_snapshot',
    z.object({ snapshot_id: snapshotId, connector: connectorSchema }),
    connectionInfoSchema,
  ),
  /** cinder-backup → the snapshot's backend: done reading it. */
  terminateConnectionSnapshot: callMethod(
    'terminate_connection_snapshot',
    z.object({ snapshot_id: snapshotId, connector: connectorSchema }),
    z.null(),
  ),
  // The everyday volume actions.
  /** API → the volume's backend: grow it to `new_size` GiB (the volume is `extending`). */
  extendVolume: castMethod(
    'extend_volume',
    z.object({
      volume_id: volumeId,
      new_size: z.number().int().positive(),
      reservations: quotaReservations,
    }),
  ),
  /** scheduler → the volume's backend, which satisfies the new type: take it (os-retype). */
  retypeVolume: castMethod(
    'retype',
    z.object({
      volume_id: volumeId,
      new_type_id: z.string().uuid(),
      reservations: quotaReservations,
    }),
  ),
  /**
   * scheduler → the volume's (source) backend: move the volume to `host` (`host@backend#pool`),
   * taking `new_type_id` if a retype asked for the move.
   */
  migrateVolume: castMethod(
    'migrate_volume',
    z.object({
      volume_id: volumeId,
      host: z.string(),
      new_type_id: z.string().uuid().nullable(),
      /** A retype's quota reservations (none for an admin's migration). */
      reservations: quotaReservations,
    }),
  ),
  /**
   * source → destination backend during a migration: `prepare` makes the volume's bytes there
   * and exports them (their path); `finish` removes that export; `abort` removes the bytes.
   */
  migrationTarget: callMethod(
    'migration_target',
    z.object({
      volume_id: volumeId,
      size: z.number().int().positive(),
      op: z.enum(['prepare', 'finish', 'abort']),
    }),
    z.object({ device_path: z.string().nullable() }),
    120_000,
  ),
  /**
   * API → the volume's backend: os-volume_upload_image. The volume is `uploading` and the image
   * `queued` (made by the API with the caller's token); stream the bytes into it.
   */
  copyVolumeToImage: castMethod('copy_volume_to_image', copyVolumeToImageSchema),
} as const;

export type CreateVolume = z.infer<typeof createVolumeSchema>;
export type Connector = z.infer<typeof connectorSchema>;
export type ConnectionInfo = z.infer<typeof connectionInfoSchema>;
export type CopyVolumeToImage = z.infer<typeof copyVolumeToImageSchema>;
