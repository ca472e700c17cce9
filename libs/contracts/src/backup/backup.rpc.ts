import { z } from 'zod';
import { castMethod } from '../rpc-method';

const id = z.string().uuid();

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
} as const;
