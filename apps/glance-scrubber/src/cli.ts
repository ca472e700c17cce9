/** What the command line asks for: one pass and exit, or the daemon (Glance's --daemon). */
export type Invocation = { mode: 'once' | 'daemon' } | { mode: 'help' } | { error: string };

export const USAGE = `usage: glance-scrubber [--once]

Deletes the data of image locations that are pending_delete for longer than
GLANCE_SCRUB_TIME_S, marks them deleted, and an image deleted once none of its
locations is pending; also removes data an immediate delete left behind.
Runs a pass every GLANCE_SCRUB_INTERVAL_S seconds until stopped, or with --once
a single pass (exit status 1 if a location could not be scrubbed), like
Glance's glance-scrubber without --daemon (for cron jobs and operators).
`;

export function parseInvocation(argv: readonly string[]): Invocation {
  let mode: 'once' | 'daemon' = 'daemon';
  for (const arg of argv) {
    if (arg === '--once') mode = 'once';
    else if (arg === '--daemon' || arg === '-D') mode = 'daemon';
    else if (arg === '--help' || arg === '-h') return { mode: 'help' };
    else return { error: `unknown argument: ${arg}` };
  }
  return { mode };
}
