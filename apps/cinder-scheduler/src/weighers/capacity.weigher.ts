import type { RequestSpec } from '@cinderflow/contracts';
import type { BackendState, Weigher } from '../filters/backend-state';
import { virtualFreeCapacity } from '../filters/capacity.filter';

/**
 * Prefers backends with the most usable free space (virtual free space when thin provisioned),
 * which spreads volumes out. A negative multiplier stacks them instead.
 */
export class CapacityWeigher implements Weigher {
  readonly name = 'CapacityWeigher';

  constructor(readonly multiplier = 1.0) {}

  weigh(backend: BackendState, spec: RequestSpec): number {
    return virtualFreeCapacity(backend.capabilities, spec);
  }
}
