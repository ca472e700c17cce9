import { Binaries, backendOf, Destinations, SchedulerRpc } from '@cinderflow/contracts';
import {
  applyTransition,
  isServiceUp,
  ServiceRegistry,
  StatusConflictError,
  VolumeEntity,
} from '@cinderflow/persistence';
import { volumeMachine } from '@cinderflow/status-machines';
import { badRequest, forbidden, invalidInput, invalidVolume } from '../../common/cinder-errors';
import { BooleanLike, NullableString, Strict, Type } from '../../common/schema';
import { RequestSchema } from '../../common/validation';
import type { ActionContext } from './action-context';

/** cinder/api/schemas/admin_actions.py migrate_volume (clusters, 3.16's, are not kept here). */
const migrateBody = new RequestSchema(
  Strict({
    host: NullableString({ maxLength: 255 }),
    force_host_copy: Type.Optional(BooleanLike),
    lock_volume: Type.Optional(BooleanLike),
  }),
);

/**
 * os-migrate_volume (admin; cinder/volume/api.py migrate_volume): the named backend must be an
 * enabled, live cinder-volume; the volume is locked (`maintenance`) with migration_status
 * `starting` and the scheduler checks the destination fits before the source copies the bytes.
 * Unlike Cinder the volume is always locked and must be available: without Nova there is no one
 * to swap an attached volume's bytes under its user.
 */
export async function migrateVolume(ctx: ActionContext, args: unknown): Promise<void> {
  if (!ctx.caller.isAdmin) {
    throw forbidden(
      "Policy doesn't allow volume_extension:volume_admin_actions:migrate_volume to be performed.",
    );
  }
  const { host } = migrateBody.check(args);
  if (!host) throw invalidInput('Host field is missing.');
  const { volume } = ctx;
  const services = await new ServiceRegistry(ctx.dataSource).list({
    host: backendOf(host),
    binary: Binaries.volume,
  });
  if (!services.some((s) => !s.disabled && isServiceUp(s))) {
    throw badRequest(`Invalid host: No available service named '${host}'`);
  }
  try {
    await ctx.dataSource.transaction(async (tx) => {
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume.id,
        event: 'migrate_lock',
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
        host,
      });
    });
  } catch (error) {
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
