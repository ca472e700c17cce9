import { backendOf, Binaries, type Destination, Destinations } from './topology';

describe('Destinations', () => {
  it.each<[string, Destination, Destination]>([
    ['scheduler', Destinations.scheduler(), { kind: 'queue', name: 'cinder-scheduler' }],
    [
      'schedulerFanout',
      Destinations.schedulerFanout(),
      { kind: 'fanout', name: 'cinder-scheduler_fanout' },
    ],
    [
      'volume',
      Destinations.volume('node1@file'),
      { kind: 'queue', name: 'cinder-volume.node1@file' },
    ],
    ['volumeFanout', Destinations.volumeFanout(), { kind: 'fanout', name: 'cinder-volume_fanout' }],
    ['backup', Destinations.backup(), { kind: 'queue', name: 'cinder-backup' }],
  ])('%s', (_, destination, expected) => {
    expect(destination).toEqual(expected);
  });

  it('gives each volume backend its own queue', () => {
    expect(Destinations.volume('node1@file').name).not.toBe(Destinations.volume('node1@lvm').name);
    expect(Destinations.volume('node2@file').name).toBe('cinder-volume.node2@file');
  });

  it('names queues after the binaries', () => {
    expect(Binaries).toEqual({
      api: 'cinder-api',
      scheduler: 'cinder-scheduler',
      volume: 'cinder-volume',
      backup: 'cinder-backup',
    });
  });
});

describe('backendOf', () => {
  it.each([
    ['h@b#p', 'h@b'],
    ['h@b', 'h@b'],
    ['node1@file#file', 'node1@file'],
    ['node1@file#', 'node1@file'],
  ])('%s → %s', (volumeHost, backend) => {
    expect(backendOf(volumeHost)).toBe(backend);
  });
});
