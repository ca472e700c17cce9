import type { RequestSpec } from '@cinderflow/contracts';
import type { BackendState, Filter } from './backend-state';
import { filterBackends } from './filter-backends';

function backend(name: string): BackendState {
  return {
    name,
    serviceHost: name.split('#')[0],
    capabilities: {} as BackendState['capabilities'],
  };
}

const spec = {} as RequestSpec;

function rejecting(...names: string[]): Filter {
  return { name: 'Rejecting', passes: (b) => !names.includes(b.name) };
}

describe('filterBackends', () => {
  const backends = ['a@x#1', 'b@x#1', 'c@x#1', 'd@x#1'].map(backend);

  it('keeps only backends every filter passes, in their original order', () => {
    const kept = filterBackends(backends, spec, [rejecting('b@x#1'), rejecting('d@x#1')]);
    expect(kept.map((b) => b.name)).toEqual(['a@x#1', 'c@x#1']);
  });

  it('keeps everything with no filters', () => {
    expect(filterBackends(backends, spec, [])).toEqual(backends);
  });

  it('returns nothing when no backend passes', () => {
    expect(filterBackends(backends, spec, [rejecting(...backends.map((b) => b.name))])).toEqual([]);
  });

  it('passes the request spec to each filter', () => {
    const passes = jest.fn().mockReturnValue(true);
    filterBackends([backends[0]], spec, [{ name: 'Spy', passes }]);
    expect(passes).toHaveBeenCalledWith(backends[0], spec);
  });
});
