import type { RequestSpec } from '@cinderflow/contracts';
import type { BackendState, Weigher } from '../filters/backend-state';

export interface WeighedBackend {
  backend: BackendState;
  weight: number;
}

/**
 * Scales raw weights to [0, 1] (min → 0, max → 1) so weighers in different units can be summed.
 * When every backend scores the same the weigher cannot tell them apart, so all get 0.
 */
export function normalize(weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const min = Math.min(...weights);
  const max = Math.max(...weights);
  if (max === min) return weights.map(() => 0);
  return weights.map((w) => (w - min) / (max - min));
}

/**
 * Scores each backend as the sum over weighers of multiplier × normalised weight and returns
 * them best first; equal scores are ordered by backend name so placement is deterministic.
 */
export function weighBackends(
  backends: readonly BackendState[],
  spec: RequestSpec,
  weighers: readonly Weigher[],
): WeighedBackend[] {
  const totals = backends.map(() => 0);
  for (const weigher of weighers) {
    const normalised = normalize(backends.map((b) => weigher.weigh(b, spec)));
    normalised.forEach((w, i) => {
      totals[i] += weigher.multiplier * w;
    });
  }
  return backends
    .map((backend, i) => ({ backend, weight: totals[i] }))
    .sort((a, b) => {
      if (a.weight !== b.weight) return b.weight - a.weight;
      if (a.backend.name === b.backend.name) return 0;
      return a.backend.name < b.backend.name ? -1 : 1;
    });
}
