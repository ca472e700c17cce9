import type { BackendCapabilities, RequestSpec } from '@cinderflow/contracts';
import type { BackendState, Weigher } from '../filters/backend-state';
import { CapacityWeigher } from './capacity.weigher';
import { normalize, weighBackends } from './weigh-backends';

function backend(name: string, free = 0): BackendState {
  const capabilities = {
    total_capacity_gb: 1000,
    free_capacity_gb: free,
    provisioned_capacity_gb: 0,
    reserved_percentage: 0,
    thin_provisioning_support: false,
    max_over_subscription_ratio: 1,
  } as BackendCapabilities;
  return { name, serviceHost: name.split('#')[0], capabilities };
}

const spec: RequestSpec = {
  volume_id: '00000000-0000-4000-8000-000000000001',
  size: 1,
  availability_zone: 'nova',
  volume_type: { id: 't', name: 'default', extra_specs: {} },
};

/** A weigher reading its raw scores from a table, to test the combination logic alone. */
function table(scores: Record<string, number>, multiplier = 1): Weigher {
  return { name: 'Table', multiplier, weigh: (b) => scores[b.name] };
}

const names = (weighed: { backend: BackendState }[]) => weighed.map((w) => w.backend.name);

describe('normalize', () => {
  it.each<[number[], number[]]>([
    [[], []],
    [[5], [0]],
    [
      [3, 3, 3],
      [0, 0, 0],
    ],
    [
      [0, 5, 10],
      [0, 0.5, 1],
    ],
    [
      [10, 0, 5],
      [1, 0, 0.5],
    ],
    [
      [-10, 10],
      [0, 1],
    ],
    [
      [100, 200, 150, 175],
      [0, 1, 0.5, 0.75],
    ],
  ])('%p → %p', (raw, expected) => {
    expect(normalize(raw)).toEqual(expected);
  });
});

describe('weighBackends', () => {
  it('orders by capacity, most free first', () => {
    const backends = [backend('a@x#p', 10), backend('b@x#p', 30), backend('c@x#p', 20)];
    const weighed = weighBackends(backends, spec, [new CapacityWeigher()]);
    expect(names(weighed)).toEqual(['b@x#p', 'c@x#p', 'a@x#p']);
    expect(weighed.map((w) => w.weight)).toEqual([1, 0.5, 0]);
  });

  it('orders least free first with a negative multiplier (stacking)', () => {
    const backends = [backend('a@x#p', 10), backend('b@x#p', 30), backend('c@x#p', 20)];
    const weighed = weighBackends(backends, spec, [new CapacityWeigher(-1)]);
    expect(names(weighed)).toEqual(['a@x#p', 'c@x#p', 'b@x#p']);
    expect(weighed.map((w) => w.weight)).toEqual([0, -0.5, -1]);
  });

  it('scales each weigher by its multiplier before summing', () => {
    const backends = [backend('a@x#p'), backend('b@x#p'), backend('c@x#p')];
    // Raw scales differ wildly; normalisation makes them comparable.
    const big = table({ 'a@x#p': 0, 'b@x#p': 1000, 'c@x#p': 500 }, 1);
    const small = table({ 'a@x#p': 2, 'b@x#p': 0, 'c@x#p': 1 }, 3);
    const weighed = weighBackends(backends, spec, [big, small]);
    // a: 0 + 3*1 = 3; b: 1 + 0 = 1; c: 0.5 + 3*0.5 = 2
    expect(weighed.map((w) => [w.backend.name, w.weight])).toEqual([
      ['a@x#p', 3],
      ['c@x#p', 2],
      ['b@x#p', 1],
    ]);
  });

  it('gives every backend 0 from a weigher that cannot tell them apart', () => {
    const backends = [backend('a@x#p', 40), backend('b@x#p', 40)];
    const weighed = weighBackends(backends, spec, [new CapacityWeigher()]);
    expect(weighed.map((w) => w.weight)).toEqual([0, 0]);
  });

  it('breaks ties by backend name, whatever the input order', () => {
    const backends = [backend('c@x#p', 5), backend('a@x#p', 5), backend('b@x#p', 9)];
    const weighed = weighBackends(backends, spec, [new CapacityWeigher()]);
    expect(names(weighed)).toEqual(['b@x#p', 'a@x#p', 'c@x#p']);
    const reversed = weighBackends([...backends].reverse(), spec, [new CapacityWeigher()]);
    expect(names(reversed)).toEqual(['b@x#p', 'a@x#p', 'c@x#p']);
  });

  it('orders by name alone with no weighers', () => {
    const backends = [backend('b@x#p'), backend('a@x#p2'), backend('a@x#p1')];
    const weighed = weighBackends(backends, spec, []);
    expect(names(weighed)).toEqual(['a@x#p1', 'a@x#p2', 'b@x#p']);
    expect(weighed.every((w) => w.weight === 0)).toBe(true);
  });

  it('handles no backends', () => {
    expect(weighBackends([], spec, [new CapacityWeigher()])).toEqual([]);
  });

  it('does not reorder the input array', () => {
    const backends = [backend('a@x#p', 1), backend('b@x#p', 2)];
    weighBackends(backends, spec, [new CapacityWeigher()]);
    expect(names(backends.map((backend) => ({ backend })))).toEqual(['a@x#p', 'b@x#p']);
  });
});
