export * from './core.module';
export * from './database.module';
export * from './heartbeat';
export * from './preflight';
export * from './run-service';
export * from './service-lifecycle';
export * from './tokens';
export * from './service-runtime.module';
