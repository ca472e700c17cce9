import { z } from 'zod';
import { callMethod, castMethod } from '../rpc-method';
import { backendCapabilitiesSchema } from './capabilities';

export const volumeTypeSpecSchema = z.object({
  id: z.string(),
  name: z.string(),
  extra_specs: z.record(z.string()),
});

/** What the scheduler needs to place a volume (Cinder's RequestSpec, the parts we use). */
export const requestSpecSchema = z.object({
  volume_id: z.string().uuid(),
  size: z.number().int().positive(),
  availability_zone: z.string(),
  volume_type: volumeTypeSpecSchema,
  /** Create from this backup: cinder-volume makes the volume, cinder-backup fills it. */
  backup_id: z.string().uuid().optional(),
  /** Create from this snapshot: cinder-volume copies its bytes. */
  snapshot_id: z.string().uuid().optional(),
  /** Create as a clone of this volume: cinder-volume copies its bytes. */
  source_volid: z.string().uuid().optional(),
  /**
   * Create from this Glance image (Cinder's request_spec['image_id']): cinder-volume streams its
   * data into the volume with the caller's token (the message context's auth_token).
   */
  image_id: z.string().uuid().optional(),
  /**
   * The only backend that may take the volume (Cinder's request_spec['resource_backend']): the
   * source's `host@backend#pool`, where the bytes to copy are.
   */
  resource_backend: z.string().optional(),
});

/** Retry bookkeeping that travels with a create (Cinder's filter_properties['retry']). */
export const retrySchema = z.object({
  /** Attempts made so far including the one this message asks for (1 on the first try). */
  num_attempts: z.number().int().positive(),
  /** Backends that already failed this volume; the scheduler skips them. */
  backends: z.array(z.string()),
  /** Why each of them failed, in order. */
  exc_reasons: z.array(z.string()),
});

export const scheduleCreateVolumeSchema = z.object({
  request_spec: requestSpecSchema,
  retry: retrySchema,
});

export const capabilityReportSchema = z.object({
  /** `host@backend` of the reporting cinder-volume. */
  service_host: z.string(),
  /** When the report was made; older reports than the one held are ignored. */
  timestamp: z.string().datetime({ offset: true }),
  capabilities: backendCapabilitiesSchema,
});

export const poolSchema = z.object({
  name: z.string(),
  capabilities: backendCapabilitiesSchema.extend({ timestamp: z.string() }),
});

/**
 * Quota reservations (uuids) the API made for a change cinder-volume carries out: committed with
 * its success, rolled back on its failure. Settling deletes them, so a redelivery settles nothing
 * twice. Absent in messages of older senders.
 */
export const quotaReservations = z.array(z.string().uuid()).default([]);

export const retypeVolumeSchema = z.object({
  volume_id: z.string().uuid(),
  new_type_id: z.string().uuid(),
  migration_policy: z.enum(['never', 'on-demand']),
  /** The new type's usage (+) and the old type's (-), as Cinder's quota_reservations + old_reservations. */
  reservations: quotaReservations,
});

export const extendVolumeSchema = z.object({
  volume_id: z.string().uuid(),
  new_size: z.number().int().positive(),
  /** gigabytes (and gigabytes_<type>) for the growth. */
  reservations: quotaReservations,
});

export const migrateVolumeSchema = z.object({
  volume_id: z.string().uuid(),
  /** `host@backend#pool` the admin named. */
  host: z.string(),
});

export const SchedulerRpc = {
  /** API → scheduler, and cinder-volume → scheduler on a reschedule. */
  createVolume: castMethod('create_volume', scheduleCreateVolumeSchema),
  /** cinder-volume → every scheduler (fanout), periodically. */
  updateServiceCapabilities: castMethod('update_service_capabilities', capabilityReportSchema),
  /** API → scheduler: what the scheduler knows of each pool (scheduler-stats/get_pools). */
  getPools: callMethod(
    'get_pools',
    z.object({ backend: z.string().optional(), volume_backend_name: z.string().optional() }),
    z.array(poolSchema),
    10_000,
  ),
  /** API → scheduler: check the destination an admin named fits (os-migrate_volume). */
  migrateVolume: castMethod('migrate_volume', migrateVolumeSchema),
  /** API → scheduler: find a backend for the volume with its new type (os-retype). */
  retypeVolume: castMethod('retype', retypeVolumeSchema),
  /** API → scheduler: check the volume's backend has room to grow it (os-extend). */
  extendVolume: castMethod('extend_volume', extendVolumeSchema),
} as const;

export type ScheduleCreateVolume = z.infer<typeof scheduleCreateVolumeSchema>;
export type RequestSpec = z.infer<typeof requestSpecSchema>;
export type Retry = z.infer<typeof retrySchema>;
export type CapabilityReport = z.infer<typeof capabilityReportSchema>;
export type Pool = z.infer<typeof poolSchema>;

/**
 * The volume a create message (to a scheduler or to cinder-volume) is about, read leniently:
 * a dead-lettered message may break its contract elsewhere.
 */
export function volumeIdOfCreate(payload: unknown): string | undefined {
  const parsed = z
    .object({ request_spec: z.object({ volume_id: z.string().uuid() }) })
    .safeParse(payload);
  return parsed.success ? parsed.data.request_spec.volume_id : undefined;
}

export type RetypeVolume = z.infer<typeof retypeVolumeSchema>;
export type MigrateVolume = z.infer<typeof migrateVolumeSchema>;
export type ExtendVolume = z.infer<typeof extendVolumeSchema>;
