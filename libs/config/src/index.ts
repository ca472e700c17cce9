export * from './config';
export * from './storage-units';
