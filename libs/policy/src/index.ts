export * from './check-language';
export * from './cinder-defaults';
export * from './enforcer';
