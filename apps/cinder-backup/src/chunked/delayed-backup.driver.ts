import {
  type BackupInput,
  type BackupResult,
  ChunkedBackupDriver,
  type ChunkedBackupOptions,
  type ProgressCallback,
  type RestoreInput,
} from './chunked-backup.driver';

/**
 * Testing aid (BACKUP_DRIVER_DELAY_MS): each backup and restore pauses after its first chunk,
 * with the volume open, so that a test can reset or delete the volume, or deliver a message
 * again, while one runs.
 */
export class DelayedBackupDriver extends ChunkedBackupDriver {
  constructor(
    options: ChunkedBackupOptions,
    private readonly delayMs: number,
  ) {
    super(options);
  }

  override backup(input: BackupInput): Promise<BackupResult> {
    return super.backup({ ...input, onProgress: this.pauseOnce(input.onProgress) });
  }

  override restore(input: RestoreInput): Promise<void> {
    return super.restore({ ...input, onProgress: this.pauseOnce(input.onProgress) });
  }

  /** The first progress report comes after the first chunk. */
  private pauseOnce(onProgress: ProgressCallback | undefined): ProgressCallback {
    let paused = false;
    return async (percent) => {
      await onProgress?.(percent);
      if (paused) return;
      paused = true;
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    };
  }
}
