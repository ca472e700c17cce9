import type { BackupConfig } from '@cinderflow/config';

export const BACKUP_DRIVER = Symbol('BACKUP_DRIVER');
export const BACKUP_HOST = Symbol('BACKUP_HOST');

export const GiB = 1024 ** 3;

export function backupHostOf(config: BackupConfig): string {
  return config.SERVICE_HOST;
}
