import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { volumeIdOfCreate } from '@cinderflow/contracts';
import type { DeadLetter } from '@cinderflow/messaging';
import {
  type MessageAction,
  type MessageDetail,
  type MessageResource,
  settleResource,
  settleVolumeCreate,
  type StatusRow,
  VolumeEntity,
  VolumesRepository,
} from '@cinderflow/persistence';
import { currentContext } from '@cinderflow/request-context';
import { volumeMachine } from '@cinderflow/status-machines';

type SettleRequest<S extends string, E extends string, T extends StatusRow> = Parameters<
  typeof settleResource<S, E, T>
>[1];

/**
 * The usual dead-letter handler: the resource the payload names (by `idKey`, whatever else in
 * the payload is broken) is settled with the first of `events` its status allows, with a user
 * message giving the dead-letter reason when `message` is set.
 */
export async function settleDeadLetter<S extends string, E extends string, T extends StatusRow>(
  dataSource: DataSource,
  letter: DeadLetter,
  idKey: string,
  request: Omit<SettleRequest<S, E, T>, 'id' | 'message'> & {
    message?: { action: MessageAction; detail: MessageDetail; resourceType?: MessageResource };
  },
): Promise<void> {
  const parsed = z.object({ [idKey]: z.string().uuid() }).safeParse(letter.payload);
  if (!parsed.success) return;
  const { message, ...rest } = request;
  await settleResource(dataSource.manager, {
    ...rest,
    id: parsed.data[idKey] as string,
    message: message && {
      ...message,
      requestId: currentContext()?.requestId ?? '-',
      explanation: letter.reason,
    },
  });
}

/**
 * The dead-letter handler of a create_volume message, for the scheduler and cinder-volume
 * alike: the volume it names ends `error`, with a user message saying why.
 */
export async function settleDeadCreateVolume(
  dataSource: DataSource,
  letter: DeadLetter,
): Promise<void> {
  const volumeId = volumeIdOfCreate(letter.payload);
  if (!volumeId) return;
  await settleVolumeCreate(
    dataSource.manager,
    volumeId,
    currentContext()?.requestId ?? '-',
    letter.reason,
  );
}

/**
 * A migrate_volume message that can never run, in the scheduler or in cinder-volume alike: the
 * volume goes back to what it was, where it was, with migration_status `error` and its hold on
 * the destination released. A migration without lock_volume (the volume stayed as it was) only
 * gets its migration_status `error`.
 */
export async function settleDeadMigration(
  dataSource: DataSource,
  letter: DeadLetter,
): Promise<void> {
  await settleDeadLetter(dataSource, letter, 'volume_id', {
    machine: volumeMachine,
    entity: VolumeEntity,
    events: ['retype_or_migrate_finished'],
    set: {
      migration_status: 'error',
      admin_metadata: () => "admin_metadata - 'migration_host'",
    },
    resourceType: 'volume',
  });
  const parsed = z.object({ volume_id: z.string().uuid() }).safeParse(letter.payload);
  if (!parsed.success) return;
  const volumes = new VolumesRepository(dataSource.manager);
  for (const phase of ['starting', 'migrating'] as const) {
    await volumes.abortUnlockedMigration(parsed.data.volume_id, phase);
  }
}
