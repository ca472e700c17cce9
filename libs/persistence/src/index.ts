import './utc';

export * from './backend-capacity';
export * from './data-source';
export * from './entities/backup.entity';
export * from './entities/image.entity';
export * from './entities/message.entity';
export * from './entities/service.entity';
export * from './entities/volume-type.entity';
export * from './entities/volume-attachment.entity';
export * from './entities/volume.entity';
export * from './entities/worker.entity';
export * from './service-registry';
export * from './transition';
export * from './utc';
export * from './workers';
export * from './user-messages';
export * from './ensure-database';
