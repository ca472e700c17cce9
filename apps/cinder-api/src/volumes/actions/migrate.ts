import { Binaries, backendOf, Destinations, SchedulerRpc } from '@cinderflow/contracts';
import {
  applyTransition,
  isServiceUp,
  ServiceRegistry,
  StatusConflictError,
  VolumeEntity,
} from '@cinderflow/persistence';
import { volumeMachine } from '@cinderflow/status-machines';
import { badRequest, invalidInput, invalidVolume } from '../../common/cinder-errors';
import { BooleanLike, NullableString, Strict, toBoolean, Type } from '../../common/schema';
import { RequestSchema } from '../../common/validation';
import type { ActionContext } from './action-context';

/** Microversion 3.16 (VOLUME_MIGRATE_CLUSTER): a cluster instead of a host. */
const CLUSTER_VERSION = '3.16';

/** cinder/api/schemas/volume_actions.py migrate_volume (before 3.16): `host` is required. */
const migrateBody = new RequestSchema(
  Strict({
    host: Type.String({ maxLength: 255 }),
    force_host_copy: Type.Optional(BooleanLike),
    lock_volume: Type.Optional(BooleanLike),
  }),
);

/** migrate_volume_v316: `host` or `cluster` (get_cluster_host wants exactly one of them). */
const migrateBodyV316 = new RequestSchema(
  Strict({
    host: Type.Optional(NullableString({ maxLength: 255 })),
    force_host_copy: Type.Optional(BooleanLike),
    lock_volume: Type.Optional(BooleanLike),
    cluster: Type.Optional(NullableString({ minLength: 0, maxLength: 255 })),
  }),
);

/**
 * os-migrate_volume (admin; cinder/api/contrib/admin_actions.py _migrate_volume and
 * cinder/volume/api.py migrate_volume): the named backend must be an enabled, live
 * cinder-volume; the volume gets migration_status `starting` (and, with lock_volume, the status
 * `maintenance`) and the scheduler checks the destination fits before the source copies the
 * bytes. Without lock_volume the volume stays `available`, and anything done to it meanwhile
 * aborts the migration, as Cinder's lock_volume=False allows.
 *
 * Unlike Cinder, an in-use volume is refused: Cinder has Nova swap an attached volume's bytes
 * under the instance (update_server_volume), and there is no Nova here.
 */
export async function migrateVolume(ctx: ActionContext, args: unknown): Promise<void> {
  const clusters = ctx.version.atLeast(CLUSTER_VERSION);
  const params: {
    host?: string | null;
    cluster?: string | null;
    force_host_copy?: boolean | string;
    lock_volume?: boolean | string;
  } = clusters ? migrateBodyV316.check(args) : migrateBody.check(args);
  // cinder/api/common.py get_cluster_host.
  const cluster = params.cluster ?? null;
  const host = params.host ?? null;
  if (Boolean(cluster) === Boolean(host)) {
    throw invalidInput(
      clusters ? 'One and only one of cluster and host must be set.' : 'Host field is missing.',
    );
  }
  // force_host_copy is accepted and changes nothing: the file driver has no optimized
  // migration of its own, so every move is already the generic host-assisted copy.
  const lock = params.lock_volume !== undefined && toBoolean(params.lock_volume);
  const { volume } = ctx;
  // No service here belongs to a cluster: Cinder finds no service for any cluster name.
  const services = cluster
    ? []
    : await new ServiceRegistry(ctx.dataSource).list({
        host: backendOf(host!),
        binary: Binaries.volume,
      });
  if (!services.some((s) => !s.disabled && isServiceUp(s))) {
    throw badRequest(`Invalid host: No available service named '${cluster ?? host}'`);
  }
  try {
    await ctx.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume.id,
        // Both save the status being left (Cinder's previous_status).
        event: lock ? 'migrate_lock' : 'migrate_unlocked',
        set: { migration_status: 'starting' },
        where: {
          sql:
            "(migration_status IS NULL OR migration_status IN ('deleting', 'error', 'success')) " +
            'AND host IS DISTINCT FROM :host ' +
            // Cinder's volume_has_snapshots_filter: a volume with snapshots stays where it is.
            'AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.volume_id = volumes.id AND NOT s.deleted)',
          params: { host },
        },
      });
      await ctx.outbox.send(tx, Destinations.scheduler(), SchedulerRpc.migrateVolume, {
        volume_id: volume.id,
        host: host!,
      });
    });
  } catch (error) {
    if (error instanceof StatusConflictError && error.current === 'in-use') {
      throw invalidVolume(
        `Volume ${volume.id} is in-use: migrating an attached volume needs Nova to swap its ` +
          'bytes under the instance, which this deployment does not have. Detach it first.',
      );
    }
    if (error instanceof StatusConflictError) {
      throw invalidVolume(
        `Volume ${volume.id} status must be available or in-use, must not be migrating, have ` +
          'snapshots, be replicated, be part of a group and destination host/cluster must be ' +
          'different than the current one',
      );
    }
    throw error;
  }
}
