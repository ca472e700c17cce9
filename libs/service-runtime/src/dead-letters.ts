import type { DataSource } from 'typeorm';
import { volumeIdOfCreate } from '@cinderflow/contracts';
import type { DeadLetter } from '@cinderflow/messaging';
import { settleVolumeCreate } from '@cinderflow/persistence';
import { currentContext } from '@cinderflow/request-context';

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
