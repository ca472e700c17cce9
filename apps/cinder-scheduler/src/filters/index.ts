export * from './backend-state';
export * from './extra-specs-ops';
export * from './availability-zone.filter';
export * from './capacity.filter';
export * from './capabilities.filter';
export * from './filter-backends';
