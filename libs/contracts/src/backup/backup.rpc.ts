// cinder-backup's RPC methods (create_backup, restore_backup, ... as casts; export_record as a
// call) arrive with the backup flows. Until then the service only registers and heartbeats.
export const BackupRpc = {} as const;
