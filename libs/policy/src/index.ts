export * from './check-language';
export * from './cinder-defaults';
export * from './enforcer';
export * from './glance-defaults';
