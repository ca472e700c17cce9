import { parseInvocation } from './cli';

describe('parseInvocation', () => {
  it.each([
    [[], { mode: 'daemon' }],
    [['--once'], { mode: 'once' }],
    [['-D'], { mode: 'daemon' }],
    [['--once', '--help'], { mode: 'help' }],
    [['--restore', 'x'], { error: 'unknown argument: --restore' }],
  ])('%j → %j', (argv, invocation) => {
    expect(parseInvocation(argv)).toEqual(invocation);
  });
});
