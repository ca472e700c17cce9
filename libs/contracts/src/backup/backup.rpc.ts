import { z } from 'zod';
import { castMethod } from '../rpc-method';

const id = z.string().uuid();

/**
 * The backup service (driver) every backup here is made with, as Cinder names its posix
 * driver: what an export record says and an import must ask for.
 */
export const BACKUP_SERVICE = 'cinder.backup.drivers.posix.PosixBackupDriver';

/**
 * cinder-backup's methods; all casts (Cinder's backup rpcapi): the API learns the outcome from
 * the backup's and the volume's statuses.
 */
export const BackupRpc = {
  /** API → `cinder-backup` (any backup service): read the volume, store the chunks. */
  createBackup: castMethod('create_backup', z.object({ backup_id: id })),
  /** API → `cinder-backup.<host>` (the service holding the backup): write it onto a volume. */
  restoreBackup: castMethod(
    'restore_backup',
    z.object({ backup_id: id, volume_id: id, volume_is_new: z.boolean() }),
  ),
  /** API → `cinder-backup.<host>`: remove the chunks and the row. */
  deleteBackup: castMethod('delete_backup', z.object({ backup_id: id })),
  /**
   * API → `cinder-backup` (any): fill an imported backup's row from its exported record once
   * its data is found in the repository (Cinder's import_record).
   */
  importRecord: castMethod(
    'import_record',
    z.object({ backup_id: id, backup_service: z.string(), backup_url: z.string() }),
  ),
} as const;
