import type { BackendCapabilities, RequestSpec } from '@cinderflow/contracts';
import type { BackendState } from '../filters/backend-state';
import { CapacityWeigher } from './capacity.weigher';

function backend(overrides: Partial<BackendCapabilities>): BackendState {
  const capabilities = {
    total_capacity_gb: 100,
    free_capacity_gb: 60,
    provisioned_capacity_gb: 120,
    reserved_percentage: 10,
    thin_provisioning_support: false,
    max_over_subscription_ratio: 3,
    ...overrides,
  } as BackendCapabilities;
  return { name: 'host1@lvm#pool', serviceHost: 'host1@lvm', capabilities };
}

function spec(extraSpecs: Record<string, string> = {}): RequestSpec {
  return {
    volume_id: '00000000-0000-4000-8000-000000000001',
    size: 1,
    availability_zone: 'nova',
    volume_type: { id: 't', name: 'default', extra_specs: extraSpecs },
  };
}

describe('CapacityWeigher', () => {
  it('weighs thick backends by free minus reserved space', () => {
    expect(new CapacityWeigher().weigh(backend({}), spec())).toBe(50);
  });

  it('weighs thin backends by virtual free space', () => {
    // (100 - 10) * 3 - 120
    expect(new CapacityWeigher().weigh(backend({ thin_provisioning_support: true }), spec())).toBe(
      150,
    );
  });

  it('uses real free space when the type asks for thick', () => {
    const b = backend({ thin_provisioning_support: true });
    expect(new CapacityWeigher().weigh(b, spec({ 'provisioning:type': 'thick' }))).toBe(50);
  });

  it('defaults its multiplier to 1 and accepts another', () => {
    expect(new CapacityWeigher().multiplier).toBe(1);
    expect(new CapacityWeigher(-1).multiplier).toBe(-1);
    expect(new CapacityWeigher().name).toBe('CapacityWeigher');
  });
});
