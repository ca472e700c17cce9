/**
 * JSON schemas of Cinder's v3 response bodies, per microversion and caller, from the api-ref
 * and Cinder's views (not from cinderflow's code). Each schema has additionalProperties: false
 * and requires every field the version always has.
 */
export * from './common';
export * from './expect-shape';
export * from './volume';
export * from './attachment';
export * from './backup';
export * from './snapshot';
export * from './volume-type';
export * from './service';
export * from './availability-zone';
export * from './pool';
export * from './message';
export * from './versions';
export * from './fault';
