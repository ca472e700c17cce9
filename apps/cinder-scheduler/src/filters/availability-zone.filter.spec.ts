import type { BackendCapabilities, RequestSpec } from '@cinderflow/contracts';
import { AvailabilityZoneFilter } from './availability-zone.filter';
import type { BackendState } from './backend-state';

function backendIn(zone: string): BackendState {
  return {
    name: 'host1@lvm#pool',
    serviceHost: 'host1@lvm',
    capabilities: { availability_zone: zone } as BackendCapabilities,
  };
}

function specFor(zone: string): RequestSpec {
  return {
    volume_id: '00000000-0000-4000-8000-000000000001',
    size: 1,
    availability_zone: zone,
    volume_type: { id: 't', name: 'default', extra_specs: {} },
  };
}

describe('AvailabilityZoneFilter', () => {
  const filter = new AvailabilityZoneFilter();

  it.each([
    ['nova', 'nova', true],
    ['nova', 'az2', false],
    ['az2', 'nova', false],
    // Zone names are compared exactly.
    ['Nova', 'nova', false],
    // No requested zone means no preference.
    ['nova', '', true],
  ])('backend in %p, request for %p → %p', (backendZone, requested, expected) => {
    expect(filter.passes(backendIn(backendZone), specFor(requested))).toBe(expected);
  });

  it('is named after the Cinder filter', () => {
    expect(filter.name).toBe('AvailabilityZoneFilter');
  });
});
