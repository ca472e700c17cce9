export * from './file-store';
export * from './image-stores';
