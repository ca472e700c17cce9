export * from './machine';
export * from './volume.machine';
