import type { BackendCapabilities, RequestSpec } from '@cinderflow/contracts';
import type { BackendState, Filter } from './backend-state';

/** GiB held back by the operator (`reserved_percentage` of the total) that no volume may use. */
export function reservedCapacity(capabilities: BackendCapabilities): number {
  return (capabilities.total_capacity_gb * capabilities.reserved_percentage) / 100;
}

/**
 * Whether the volume would be thin-provisioned here: the type must not ask for thick
 * (`provisioning:type` absent or 'thin') and the backend must support thin provisioning.
 */
export function usesThinProvisioning(
  capabilities: BackendCapabilities,
  spec: RequestSpec,
): boolean {
  const requested = spec.volume_type.extra_specs['provisioning:type'];
  const wantsThin = requested === undefined || requested === 'thin';
  return wantsThin && capabilities.thin_provisioning_support;
}

/**
 * GiB still available to this request: for thin provisioning the over-subscribable space left
 * ((total - reserved) * max_over_subscription_ratio - provisioned), otherwise free - reserved.
 * May be negative when a backend is already over-committed.
 */
export function virtualFreeCapacity(capabilities: BackendCapabilities, spec: RequestSpec): number {
  const reserved = reservedCapacity(capabilities);
  if (usesThinProvisioning(capabilities, spec)) {
    const usable = capabilities.total_capacity_gb - reserved;
    return usable * capabilities.max_over_subscription_ratio - capabilities.provisioned_capacity_gb;
  }
  return capabilities.free_capacity_gb - reserved;
}

/** Keeps only backends with room for the requested size, honouring reserve and over-subscription. */
export class CapacityFilter implements Filter {
  readonly name = 'CapacityFilter';

  passes(backend: BackendState, spec: RequestSpec): boolean {
    // Size 0 is how Cinder marks a manage-existing request: nothing new is allocated.
    if (spec.size === 0) return true;

    const caps = backend.capabilities;
    // A backend reporting no capacity at all is broken or not ready; never place on it.
    if (caps.total_capacity_gb <= 0) return false;

    if (!usesThinProvisioning(caps, spec)) {
      return caps.free_capacity_gb - reservedCapacity(caps) >= spec.size;
    }

    if (virtualFreeCapacity(caps, spec) < spec.size) return false;

    // A ratio below 1 would mean "less than thick", which Cinder treats as not over-subscribing,
    // so the projected-ratio check only applies from 1 upwards.
    if (caps.max_over_subscription_ratio >= 1) {
      const usable = caps.total_capacity_gb - reservedCapacity(caps);
      if (usable <= 0) return false;
      const projectedRatio = (caps.provisioned_capacity_gb + spec.size) / usable;
      if (projectedRatio > caps.max_over_subscription_ratio) return false;
    }
    return true;
  }
}
