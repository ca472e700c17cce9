import type { EntityManager } from 'typeorm';
import { Destinations, SchedulerRpc } from '@cinderflow/contracts';
import {
  applyTransition,
  OverQuotaError,
  StatusConflictError,
  VolumeEntity,
  VolumeTypeEntity,
  VolumeTypesRepository,
} from '@cinderflow/persistence';
import { volumeMachine } from '@cinderflow/status-machines';
import { invalidInput, invalidVolume, notFound } from '../../common/cinder-errors';
import { quotaEngineOf } from '../../common/quota';
import { overQuotaFault } from '../../common/quota-errors';
import { Strict, Type } from '../../common/schema';
import { RequestSchema } from '../../common/validation';
import type { ActionContext } from './action-context';

const retypeBody = new RequestSchema(
  Strict({
    new_type: Type.String(),
    migration_policy: Type.Optional(
      Type.Unsafe<'on-demand' | 'never' | null>({
        type: ['string', 'null'],
        enum: ['on-demand', 'never'],
      }),
    ),
  }),
);

/** Cinder's AVAILABLE_MIGRATION_STATUS: a volume in any other migration is busy. */
const NOT_MIGRATING =
  "(migration_status IS NULL OR migration_status IN ('deleting', 'error', 'success'))";

const isMultiattach = (type: VolumeTypeEntity) =>
  (type.extra_specs?.multiattach ?? '').toLowerCase() === '<is> true';

async function resolveType(ctx: ActionContext, nameOrId: string): Promise<VolumeTypeEntity> {
  const type = await new VolumeTypesRepository(ctx.dataSource.manager).findByIdOrName(nameOrId);
  if (!type) throw notFound(`Volume type with name ${nameOrId} could not be found.`);
  return type;
}

/**
 * os-retype (cinder/volume/api.py retype): the volume becomes `retyping` and the scheduler,
 * told in the same transaction, looks for a backend that satisfies the new type.
 */
export async function retype(ctx: ActionContext, args: unknown): Promise<void> {
  const { volume } = ctx;
  const request = retypeBody.check(args);
  const newType = await resolveType(ctx, request.new_type);
  if (volume.multiattach !== isMultiattach(newType) && volume.status !== 'available') {
    throw invalidInput(
      'Invalid volume_type passed, retypes affecting multiattach are only allowed on ' +
        'available volumes, the specified volume however currently has a status of: ' +
        `${volume.status}.`,
    );
  }
  try {
    await ctx.dataSource.transaction(async (tx) => {
      // Reserved first, as Cinder does: over quota answers before the status is looked at. A
      // refused transition rolls the reservations back with the transaction.
      const reservations = await reserveTypeMove(ctx, tx, newType);
      await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume.id,
        event: 'retype',
        where: {
          sql: `${NOT_MIGRATING} AND volume_type_id <> :newType`,
          params: { newType: newType.id },
        },
      });
      await ctx.outbox.send(tx, Destinations.scheduler(), SchedulerRpc.retypeVolume, {
        volume_id: volume.id,
        new_type_id: newType.id,
        migration_policy: request.migration_policy ?? 'never',
        reservations,
      });
    });
  } catch (error) {
    if (error instanceof StatusConflictError) {
      throw invalidVolume(
        'Retype needs volume to be in available or in-use state, not be part of an active ' +
          'migration or a consistency group, requested type has to be different that the one ' +
          'from the volume, and for in-use volumes front-end qos specs cannot change.',
      );
    }
    throw error;
  }
}

/**
 * Cinder's get_volume_type_reservation with reserve_vol_type_only, twice: the volume (with its
 * snapshots: their count, and their sizes unless no_snapshot_gb_quota) reserved in the new
 * type's volumes_, gigabytes_ and snapshots_ resources, and given back from the old type's
 * (negative, never refused). cinder-volume commits both when the volume takes the new type, and
 * they are rolled back when the retype ends otherwise.
 */
async function reserveTypeMove(
  ctx: ActionContext,
  tx: EntityManager,
  newType: VolumeTypeEntity,
): Promise<string[]> {
  const { volume } = ctx;
  const quotas = quotaEngineOf(ctx.dataSource, ctx.config);
  const [snaps] = (await tx.query(
    `SELECT count(*)::int AS n, COALESCE(sum(volume_size), 0)::int AS gb
     FROM snapshots WHERE volume_id = $1 AND NOT deleted`,
    [volume.id],
  )) as { n: number; gb: number }[];
  const typeDeltas = (name: string, sign: number) => {
    const deltas: Record<string, number> = {
      [`volumes_${name}`]: sign,
      [`gigabytes_${name}`]:
        sign * (volume.size + (ctx.config.NO_SNAPSHOT_GB_QUOTA ? 0 : snaps.gb)),
    };
    if (snaps.n > 0) deltas[`snapshots_${name}`] = sign * snaps.n;
    return deltas;
  };
  let reservations: string[];
  try {
    reservations = await quotas.reserve(volume.project_id, typeDeltas(newType.name, 1), tx);
  } catch (err) {
    if (err instanceof OverQuotaError) throw overQuotaFault(err, 'volumes', volume.size);
    throw err;
  }
  const oldName = await quotas.typeNameOf(volume.volume_type_id, tx);
  if (oldName === null) return reservations;
  return [
    ...reservations,
    ...(await quotas.reserve(volume.project_id, typeDeltas(oldName, -1), tx)),
  ];
}
