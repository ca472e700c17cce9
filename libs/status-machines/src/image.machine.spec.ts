import { imageMachine, uploadFailedEvent } from './image.machine';
import { locationStatusForImage } from './image-location.machine';

// Seed 001's list, verbatim: from, to, event name.
const SEED_001 = [
  ['queued', 'active', 'add location'],
  ['queued', 'saving', 'upload'],
  ['queued', 'deleted', 'delete'],
  ['saving', 'active', 'upload succeeded'],
  ['saving', 'deleted', 'delete'],
  ['saving', 'killed', '[v1] upload fail'],
  ['saving', 'queued', '[v2] upload fail'],
  ['active', 'deleted', 'delete'],
  ['active', 'pending_delete', 'delayed delete'],
  ['active', 'deactivated', 'deactivate'],
  ['killed', 'deleted', 'deleted'],
  ['pending_delete', 'deleted', 'after scrub time'],
  ['deactivated', 'deleted', 'delete'],
  ['deactivated', 'active', 'reactivate'],
];

describe('image machine against seed 001', () => {
  it("has exactly the seed's edges, with its event names", () => {
    const edges = imageMachine.edges().map((e) => [e.from, e.to, e.label]);
    expect(edges.map((e) => e.join(' → ')).sort()).toEqual(
      SEED_001.map((e) => e.join(' → ')).sort(),
    );
  });

  it('starts queued, and an image given a location never passes through saving', () => {
    expect(imageMachine.initial).toBe('queued');
    expect(imageMachine.next('queued', 'add_location')).toBe('active');
  });

  it('lets the caller pick v1 or v2 upload-failure behaviour', () => {
    expect(imageMachine.next('saving', uploadFailedEvent('v1'))).toBe('killed');
    expect(imageMachine.next('saving', uploadFailedEvent('v2'))).toBe('queued');
  });
});

describe('image status → location status (seed 002 migration)', () => {
  it.each([
    ['queued', null],
    ['saving', null],
    ['active', 'active'],
    ['pending_delete', 'pending_delete'],
    ['killed', 'deleted'],
    ['deleted', 'deleted'],
    ['deactivated', 'active'],
  ] as const)('%s → %s', (image, location) => {
    expect(locationStatusForImage(image)).toBe(location);
  });
});
