import type { BackendCapabilities, RequestSpec } from '@cinderflow/contracts';
import type { BackendState } from './backend-state';
import {
  CapacityFilter,
  reservedCapacity,
  usesThinProvisioning,
  virtualFreeCapacity,
} from './capacity.filter';

function capabilities(overrides: Partial<BackendCapabilities> = {}): BackendCapabilities {
  return {
    volume_backend_name: 'lvm',
    vendor_name: 'Open Source',
    driver_version: '3.0.0',
    storage_protocol: 'iSCSI',
    total_capacity_gb: 100,
    free_capacity_gb: 50,
    allocated_capacity_gb: 50,
    provisioned_capacity_gb: 0,
    reserved_percentage: 0,
    thin_provisioning_support: false,
    thick_provisioning_support: true,
    max_over_subscription_ratio: 1,
    multiattach: false,
    availability_zone: 'nova',
    ...overrides,
  };
}

function backend(overrides: Partial<BackendCapabilities> = {}): BackendState {
  return {
    name: 'host1@lvm#pool',
    serviceHost: 'host1@lvm',
    capabilities: capabilities(overrides),
  };
}

function spec(size: number, extraSpecs: Record<string, string> = {}): RequestSpec {
  return {
    volume_id: '00000000-0000-4000-8000-000000000001',
    size,
    availability_zone: 'nova',
    volume_type: { id: 't', name: 'default', extra_specs: extraSpecs },
  };
}

const thin = {
  thin_provisioning_support: true,
  max_over_subscription_ratio: 2,
  provisioned_capacity_gb: 150,
  // Actual free space is irrelevant when thin: only virtual space counts.
  free_capacity_gb: 0,
} satisfies Partial<BackendCapabilities>;

describe('CapacityFilter', () => {
  const filter = new CapacityFilter();

  it.each<[string, Partial<BackendCapabilities>, number, Record<string, string>, boolean]>([
    // Thick: free - reserved >= size.
    ['thick, fits exactly', {}, 50, {}, true],
    ['thick, one GiB too many', {}, 51, {}, false],
    ['thick, 10% reserved, fits', { reserved_percentage: 10 }, 40, {}, true],
    ['thick, 10% reserved eats the room', { reserved_percentage: 10 }, 41, {}, false],
    ['thick, everything reserved', { reserved_percentage: 100 }, 1, {}, false],
    ['thick, negative free', { free_capacity_gb: -5 }, 1, {}, false],
    // Thin: (total - reserved) * ratio - provisioned >= size, i.e. 100 * 2 - 150 = 50.
    ['thin, fits exactly in virtual space', thin, 50, {}, true],
    ['thin, beyond virtual space', thin, 51, {}, false],
    ['thin requested explicitly', thin, 50, { 'provisioning:type': 'thin' }, true],
    // (100 - 10) * 2 - 150 = 30.
    ['thin, 10% reserved, fits', { ...thin, reserved_percentage: 10 }, 30, {}, true],
    ['thin, 10% reserved eats the room', { ...thin, reserved_percentage: 10 }, 31, {}, false],
    ['thin, everything reserved', { ...thin, reserved_percentage: 100 }, 1, {}, false],
    ['thin, already over-subscribed', { ...thin, provisioned_capacity_gb: 250 }, 1, {}, false],
    // Ratio below 1: no over-subscription check, (100 * 0.5) - 10 = 40 virtual GiB.
    [
      'thin, ratio < 1, fits',
      { ...thin, max_over_subscription_ratio: 0.5, provisioned_capacity_gb: 10 },
      40,
      {},
      true,
    ],
    [
      'thin, ratio < 1, too big',
      { ...thin, max_over_subscription_ratio: 0.5, provisioned_capacity_gb: 10 },
      41,
      {},
      false,
    ],
    // Thick requested on a thin-capable backend: real free space (0 here) decides.
    ['thick type on thin backend', thin, 1, { 'provisioning:type': 'thick' }, false],
    [
      'thick type on thin backend with free space',
      { ...thin, free_capacity_gb: 20 },
      20,
      { 'provisioning:type': 'thick' },
      true,
    ],
    // Thin requested but not supported: falls back to thick accounting.
    [
      'thin type on thick-only backend',
      { free_capacity_gb: 10, provisioned_capacity_gb: 0, max_over_subscription_ratio: 20 },
      11,
      { 'provisioning:type': 'thin' },
      false,
    ],
    // No capacity reported.
    ['zero total', { total_capacity_gb: 0, free_capacity_gb: 10 }, 1, {}, false],
    ['zero total, thin', { ...thin, total_capacity_gb: 0 }, 1, {}, false],
  ])('%s', (_label, caps, size, extraSpecs, expected) => {
    expect(filter.passes(backend(caps), spec(size, extraSpecs))).toBe(expected);
  });

  it('lets a size-0 (manage) request through even with no capacity', () => {
    expect(filter.passes(backend({ total_capacity_gb: 0, free_capacity_gb: 0 }), spec(0))).toBe(
      true,
    );
  });

  it('is named after the Cinder filter', () => {
    expect(filter.name).toBe('CapacityFilter');
  });
});

describe('capacity helpers', () => {
  it('reserves a percentage of the total', () => {
    expect(reservedCapacity(capabilities({ total_capacity_gb: 200, reserved_percentage: 5 }))).toBe(
      10,
    );
    expect(reservedCapacity(capabilities({ reserved_percentage: 0 }))).toBe(0);
  });

  it.each<[Partial<BackendCapabilities>, Record<string, string>, boolean]>([
    [{ thin_provisioning_support: true }, {}, true],
    [{ thin_provisioning_support: true }, { 'provisioning:type': 'thin' }, true],
    [{ thin_provisioning_support: true }, { 'provisioning:type': 'thick' }, false],
    [{ thin_provisioning_support: false }, {}, false],
    [{ thin_provisioning_support: false }, { 'provisioning:type': 'thin' }, false],
  ])('thin provisioning for %p with %p → %p', (caps, extraSpecs, expected) => {
    expect(usesThinProvisioning(capabilities(caps), spec(1, extraSpecs))).toBe(expected);
  });

  it.each<[string, Partial<BackendCapabilities>, Record<string, string>, number]>([
    ['thick: free - reserved', { reserved_percentage: 10 }, {}, 40],
    ['thin: (total - reserved) * ratio - provisioned', thin, {}, 50],
    ['thin with reserve', { ...thin, reserved_percentage: 25 }, {}, 0],
    [
      'thick type on thin backend',
      { ...thin, free_capacity_gb: 7 },
      { 'provisioning:type': 'thick' },
      7,
    ],
    ['over-committed thin is negative', { ...thin, provisioned_capacity_gb: 260 }, {}, -60],
  ])('virtualFreeCapacity, %s', (_label, caps, extraSpecs, expected) => {
    expect(virtualFreeCapacity(capabilities(caps), spec(1, extraSpecs))).toBe(expected);
  });
});
