import type { RequestSpec } from '@cinderflow/contracts';
import type { BackendState, Filter } from './backend-state';

/** The backends that pass every filter, in their original order. */
export function filterBackends(
  backends: readonly BackendState[],
  spec: RequestSpec,
  filters: readonly Filter[],
): BackendState[] {
  return backends.filter((backend) => filters.every((f) => f.passes(backend, spec)));
}
