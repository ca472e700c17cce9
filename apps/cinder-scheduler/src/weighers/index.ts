export * from './capacity.weigher';
export * from './weigh-backends';
