import type { RequestSpec } from '@cinderflow/contracts';
import type { BackendState, Filter } from './backend-state';

/** Keeps only backends in the availability zone the volume was requested in. */
export class AvailabilityZoneFilter implements Filter {
  readonly name = 'AvailabilityZoneFilter';

  passes(backend: BackendState, spec: RequestSpec): boolean {
    // As in Cinder, a request that names no zone expresses no preference.
    if (!spec.availability_zone) return true;
    return backend.capabilities.availability_zone === spec.availability_zone;
  }
}
