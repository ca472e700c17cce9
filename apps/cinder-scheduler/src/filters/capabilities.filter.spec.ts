import type { BackendCapabilities, RequestSpec } from '@cinderflow/contracts';
import type { BackendState } from './backend-state';
import { CapabilitiesFilter } from './capabilities.filter';

const capabilities: BackendCapabilities = {
  volume_backend_name: 'lvm-1',
  vendor_name: 'Open Source',
  driver_version: '3.0.0',
  storage_protocol: 'iSCSI',
  total_capacity_gb: 100,
  free_capacity_gb: 50,
  allocated_capacity_gb: 50,
  provisioned_capacity_gb: 50,
  reserved_percentage: 0,
  thin_provisioning_support: true,
  thick_provisioning_support: false,
  max_over_subscription_ratio: 20,
  multiattach: true,
  availability_zone: 'nova',
  // Driver-specific extras.
  compression: 'True',
  disk_type: 'ssd',
  max_iops: 5000,
};

const backend: BackendState = {
  name: 'host1@lvm-1#pool',
  serviceHost: 'host1@lvm-1',
  capabilities,
};

function spec(extraSpecs: Record<string, string>): RequestSpec {
  return {
    volume_id: '00000000-0000-4000-8000-000000000001',
    size: 1,
    availability_zone: 'nova',
    volume_type: { id: 't', name: 'gold', extra_specs: extraSpecs },
  };
}

describe('CapabilitiesFilter', () => {
  const filter = new CapabilitiesFilter();

  it.each<[string, Record<string, string>, boolean]>([
    ['no extra specs', {}, true],
    ['volume_backend_name matches', { volume_backend_name: 'lvm-1' }, true],
    ['volume_backend_name mismatch', { volume_backend_name: 'lvm-2' }, false],
    ['volume_backend_name is not a prefix match', { volume_backend_name: 'lvm' }, false],
    ['capabilities: scope is stripped', { 'capabilities:volume_backend_name': 'lvm-1' }, true],
    ['capabilities: scope mismatch', { 'capabilities:storage_protocol': 'FC' }, false],
    ['multiattach <is> True on a multiattach backend', { multiattach: '<is> True' }, true],
    ['multiattach <is> False on a multiattach backend', { multiattach: '<is> False' }, false],
    ['driver extra with an operator', { 'capabilities:max_iops': '>= 4000' }, true],
    ['driver extra with an operator, unmet', { max_iops: '>= 6000' }, false],
    ['string boolean capability', { compression: '<is> true' }, true],
    ['<or> on protocol', { storage_protocol: '<or> FC <or> iSCSI' }, true],
    ['missing capability', { replication_enabled: '<is> True' }, false],
    ['missing scoped capability', { 'capabilities:dedup': '<is> True' }, false],
    ['nested capability path does not exist', { 'capabilities:disk_type:speed': 'fast' }, false],
    // Other consumers' scopes are not the scheduler's business.
    ['provisioning: scope ignored', { 'provisioning:type': 'thick' }, true],
    ['RESKEY: scope ignored', { 'RESKEY:availability_zones': 'az9' }, true],
    ['vendor scope ignored', { 'acme:tier': 'platinum' }, true],
    [
      'every spec must match',
      { volume_backend_name: 'lvm-1', disk_type: 'ssd', storage_protocol: 'FC' },
      false,
    ],
    [
      'all of several specs match',
      { volume_backend_name: 'lvm-1', disk_type: '<in> ss', 'qos:read_iops': '100' },
      true,
    ],
  ])('%s', (_label, extraSpecs, expected) => {
    expect(filter.passes(backend, spec(extraSpecs))).toBe(expected);
  });

  it('does not treat inherited object properties as capabilities', () => {
    expect(filter.passes(backend, spec({ toString: 'x' }))).toBe(false);
    expect(filter.passes(backend, spec({ constructor: '<in> Object' }))).toBe(false);
  });

  it('is named after the Cinder filter', () => {
    expect(filter.name).toBe('CapabilitiesFilter');
  });
});
