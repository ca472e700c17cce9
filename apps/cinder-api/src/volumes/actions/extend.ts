import { Destinations, SchedulerRpc } from '@cinderflow/contracts';
import type { EntityManager } from 'typeorm';
import {
  applyTransition,
  OverQuotaError,
  StatusConflictError,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import { volumeMachine } from '@cinderflow/status-machines';
import { CinderHttpError, invalidInput, invalidVolume } from '../../common/cinder-errors';
import { quotaEngineOf } from '../../common/quota';
import { volumeSizeExceedsLimit } from '../../common/quota-errors';
import { Strict, Type } from '../../common/schema';
import { RequestSchema } from '../../common/validation';
import type { ActionContext } from './action-context';

/** Cinder's parameter_types.volume_size, up to its DB_MAX_INT. */
const extendBody = new RequestSchema(
  Strict({
    new_size: Type.Unsafe<number | string>({
      type: ['integer', 'string'],
      pattern: '^[0-9]+$',
      minimum: 1,
      maximum: 0x7fffffff,
    }),
  }),
);

/**
 * os-extend (cinder/volume/api.py _extend): `available`, or `in-use` from 3.42; the volume is
 * `extending` and the cast to the scheduler, which checks the backend has room for the growth
 * (Cinder's scheduler extend_volume), leaves in the same transaction.
 */
export async function extend(ctx: ActionContext, args: unknown): Promise<void> {
  const { volume } = ctx;
  const newSize = Number(extendBody.check(args).new_size);
  if (newSize > 0x7fffffff) {
    throw invalidInput(`new_size must be at most ${0x7fffffff}`);
  }
  if (newSize <= volume.size) {
    throw invalidInput(
      'New size for extend must be greater than current size. ' +
        `(current: ${volume.size}, extended: ${newSize}).`,
    );
  }
  const attached = ctx.version.atLeast('3.42') && volume.status === 'in-use';
  try {
    await ctx.dataSource.transaction(async (tx) => {
      const row = await applyTransition(tx, {
        machine: volumeMachine,
        entity: VolumeEntity,
        id: volume.id,
        event: attached ? 'extend_attached' : 'extend',
        // Cinder's _extend expects exactly one status: in-use when attached, else available.
        // ... and the size it was checked against (a concurrent extend may have grown it).
        // Not while it migrates (unlike Cinder, which lets an unlocked migration be overtaken
        // here): the source's cinder-volume runs one work on a volume at a time, so the extend
        // would find it busy with the copy.
        where: {
          sql:
            'status = :expected AND size < :newSize AND ' +
            "(migration_status IS NULL OR migration_status NOT IN ('starting', 'migrating'))",
          params: { expected: attached ? 'in-use' : 'available', newSize },
        },
      });
      if (!row.host) throw invalidVolume(`Volume ${volume.id} has no backend.`);
      const reservations = await reserveGrowth(ctx, tx, row, newSize);
      await ctx.outbox.send(tx, Destinations.scheduler(), SchedulerRpc.extendVolume, {
        volume_id: volume.id,
        new_size: newSize,
        reservations,
      });
    });
  } catch (error) {
    if (error instanceof StatusConflictError && (await isMigrating(ctx, volume.id))) {
      throw invalidVolume(
        `Volume ${volume.id} is migrating; it can be extended once the migration has ended.`,
      );
    }
    if (error instanceof StatusConflictError) {
      const expected = attached ? 'in-use' : 'available';
      throw invalidVolume(
        `Volume ${volume.id} status must be '{'status': '${expected}'}' to extend, ` +
          `currently ${error.current}.`,
      );
    }
    throw error;
  }
}

/**
 * Cinder's _extend quota steps: per_volume_gigabytes for the new size, then gigabytes (and
 * gigabytes_<type>) for the growth, reserved in the transaction that marks the volume
 * `extending` (a refusal leaves both undone). cinder-volume commits them with the new size, or
 * they are rolled back when the extend fails.
 */
async function reserveGrowth(
  ctx: ActionContext,
  tx: EntityManager,
  volume: VolumeEntity,
  newSize: number,
): Promise<string[]> {
  const quotas = quotaEngineOf(ctx.dataSource, ctx.config);
  const projectId = volume.project_id;
  const perVolume = (await quotas.projectLimits(projectId, ['per_volume_gigabytes'], tx))
    .per_volume_gigabytes;
  if (perVolume >= 0 && newSize > perVolume) throw volumeSizeExceedsLimit(newSize, perVolume);
  const growth = newSize - volume.size;
  const deltas: Record<string, number> = { gigabytes: growth };
  const typeName = await quotas.typeNameOf(volume.volume_type_id, tx);
  if (typeName !== null) deltas[`gigabytes_${typeName}`] = growth;
  try {
    return await quotas.reserve(projectId, deltas, tx);
  } catch (err) {
    if (!(err instanceof OverQuotaError)) throw err;
    // VolumeSizeExceedsAvailableQuota, with the figures of `gigabytes` whichever was over.
    const usage = err.usages.gigabytes ?? { in_use: 0, reserved: 0 };
    throw new CinderHttpError(
      413,
      'Requested volume or snapshot exceeds allowed gigabytes quota. ' +
        `Requested ${growth}G, quota is ${err.quotas.gigabytes}G and ` +
        `${usage.in_use + usage.reserved}G has been consumed.`,
    );
  }
}

async function isMigrating(ctx: ActionContext, id: string): Promise<boolean> {
  const row = await new VolumesRepository(ctx.dataSource.manager).findLive(id);
  return row?.migration_status === 'starting' || row?.migration_status === 'migrating';
}
