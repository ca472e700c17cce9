export * from './file-store';
export * from './image-stores';
export * from './image-upload';
export * from './upload-settlement';
