export * from './file-store';
export * from './image-delete';
export * from './image-factory';
export * from './image-stores';
export * from './image-upload';
export * from './import-source';
export * from './python-repr';
export * from './upload-settlement';
