import { parseInvocation } from './cli';

describe('cinder-manage command line', () => {
  it.each([
    [['quota', 'check'], { command: 'quota', action: 'check', projectId: undefined }],
    [
      ['quota', 'sync', '--project-id', 'abc'],
      { command: 'quota', action: 'sync', projectId: 'abc' },
    ],
    [
      ['quota', 'check', '--project-id=abc'],
      { command: 'quota', action: 'check', projectId: 'abc' },
    ],
    [[], { command: 'help' }],
    [['quota', 'check', '--help'], { command: 'help' }],
    [['volume', 'delete'], { error: 'unknown category: volume' }],
    [['quota', 'fix'], { error: 'quota: unknown action: fix' }],
    [['quota', 'sync', '--project-id'], { error: '--project-id needs a value' }],
    [['quota', 'sync', '--all'], { error: 'unknown argument: --all' }],
  ])('%j', (argv, expected) => {
    expect(parseInvocation(argv)).toEqual(expected);
  });
});
