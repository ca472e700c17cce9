export * from './rpc-method';
export * from './topology';
export * from './message-context';
export * from './scheduler/capabilities';
export * from './scheduler/scheduler.rpc';
export * from './volume/volume.rpc';
export * from './backup/backup.rpc';
export * from './backup/backup-record';
