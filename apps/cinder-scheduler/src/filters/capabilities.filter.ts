import type { RequestSpec } from '@cinderflow/contracts';
import type { BackendState, Filter } from './backend-state';
import { matches } from './extra-specs-ops';

const CAPABILITIES_SCOPE = 'capabilities';

/**
 * The capability an extra-spec key refers to, or undefined when the key belongs to another
 * consumer (`provisioning:`, `RESKEY:`, `qos:`, vendor scopes) and is not for the scheduler.
 */
function capabilityPath(key: string): string[] | undefined {
  const scope = key.split(':');
  if (scope.length === 1) return scope;
  if (scope[0] !== CAPABILITIES_SCOPE) return undefined;
  return scope.slice(1);
}

/**
 * Keeps only backends whose reported capabilities satisfy every unscoped or `capabilities:`
 * extra spec of the volume type (`volume_backend_name` is the usual one).
 */
export class CapabilitiesFilter implements Filter {
  readonly name = 'CapabilitiesFilter';

  passes(backend: BackendState, spec: RequestSpec): boolean {
    const caps = backend.capabilities;
    for (const [key, requirement] of Object.entries(spec.volume_type.extra_specs)) {
      const path = capabilityPath(key);
      if (!path) continue;
      // Capabilities are flat, so a nested key (`capabilities:a:b`) names nothing that exists.
      if (path.length !== 1) return false;
      const [name] = path;
      if (!Object.prototype.hasOwnProperty.call(caps, name)) return false;
      const value = caps[name];
      if (value === undefined || value === null) return false;
      if (!matches(value, requirement)) return false;
    }
    return true;
  }
}
