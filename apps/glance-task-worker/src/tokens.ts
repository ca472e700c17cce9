/** Injection tokens of glance-task-worker. */
export const WORKER_HOST = Symbol('WORKER_HOST');
export const IMAGE_STORES = Symbol('IMAGE_STORES');
