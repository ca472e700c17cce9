import type { BackendCapabilities, RequestSpec } from '@cinderflow/contracts';
import type { BackendState } from '../../filters/backend-state';
import { onResourceBackend } from './create-volume.scheduler';

const backend = (name: string): BackendState => ({
  name,
  serviceHost: name.split('#')[0],
  capabilities: {} as BackendCapabilities,
});

const spec = (resource_backend?: string): RequestSpec => ({
  volume_id: '6b1f0f4e-4f59-4a55-9a8e-0c1f6b2a0001',
  size: 1,
  availability_zone: 'nova',
  volume_type: { id: 't', name: 't', extra_specs: {} },
  ...(resource_backend !== undefined ? { resource_backend } : {}),
});

describe('onResourceBackend (Cinder’s resource_backend restriction)', () => {
  it('lets every backend through when the volume has no source', () => {
    expect(onResourceBackend(backend('h@a#a'), spec())).toBe(true);
  });

  it("keeps only the source's pool when the source's host names one", () => {
    expect(onResourceBackend(backend('h@a#a'), spec('h@a#a'))).toBe(true);
    expect(onResourceBackend(backend('h@a#b'), spec('h@a#a'))).toBe(false);
    expect(onResourceBackend(backend('h@b#b'), spec('h@a#a'))).toBe(false);
  });

  it("keeps every pool of the source's backend when no pool is named", () => {
    expect(onResourceBackend(backend('h@a#a'), spec('h@a'))).toBe(true);
    expect(onResourceBackend(backend('h@a#b'), spec('h@a'))).toBe(true);
    expect(onResourceBackend(backend('h@b#b'), spec('h@a'))).toBe(false);
  });
});
