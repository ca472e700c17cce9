import type { BackendCapabilities, RequestSpec } from '@cinderflow/contracts';

/** One pool the scheduler can place a volume on, as the host manager tracks it. */
export interface BackendState {
  /** `host@backend#pool`: what the volume's `host` column is set to on placement. */
  name: string;
  /** `host@backend`: the cinder-volume service that owns the pool (where the RPC is sent). */
  serviceHost: string;
  capabilities: BackendCapabilities;
}

/** A yes/no test on one backend; a backend must pass every filter to be considered. */
export interface Filter {
  readonly name: string;
  passes(backend: BackendState, spec: RequestSpec): boolean;
}

/**
 * Scores one backend; raw scores are normalised across the candidates before the multiplier is
 * applied, so weighers with different units can be combined.
 */
export interface Weigher {
  readonly name: string;
  readonly multiplier: number;
  weigh(backend: BackendState, spec: RequestSpec): number;
}
