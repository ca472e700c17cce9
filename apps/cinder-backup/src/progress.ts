import type { DataSource } from 'typeorm';
import type { Logger } from '@cinderflow/logging';
import { BackupsRepository } from '@cinderflow/persistence';

/** Records a running backup's or restore's percentage in its row (shown by the API) and logs it. */
export function progressReporter(
  dataSource: DataSource,
  backupId: string,
  what: string,
  log: Logger,
) {
  let last = -1;
  return async (percent: number): Promise<void> => {
    if (percent === last || (percent % 10 !== 0 && percent !== 100 && percent - last < 10)) return;
    last = percent;
    await new BackupsRepository(dataSource.manager).setProgress(backupId, percent);
    log.info({ backup_id: backupId, percent }, `${what} progress`);
  };
}
