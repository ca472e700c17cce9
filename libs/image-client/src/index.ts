export * from './image-service.client';
