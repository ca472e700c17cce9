/** What the command line asks for (Cinder's `cinder-manage quota check|sync [--project-id X]`). */
export type Invocation =
  | { command: 'quota'; action: 'check' | 'sync'; projectId?: string }
  | { command: 'help' }
  | { error: string };

export const USAGE = `usage: cinder-manage quota check [--project-id PROJECT_ID]
       cinder-manage quota sync [--project-id PROJECT_ID]

quota check   Recounts the quota usage of every project with usage rows (or of the
              one given) from the volumes, snapshots, backups and reservations that
              exist, and prints what is out of sync; exit status 1 if anything is.
quota sync    The same, and writes the recounted values (one transaction per project).

Reads DATABASE_URL; NO_SNAPSHOT_GB_QUOTA=true leaves snapshots out of gigabytes.
`;

export function parseInvocation(argv: readonly string[]): Invocation {
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    return { command: 'help' };
  }
  const [category, action, ...rest] = argv;
  if (category !== 'quota') return { error: `unknown category: ${category}` };
  if (action !== 'check' && action !== 'sync') {
    return { error: `quota: unknown action: ${action ?? '(none)'}` };
  }
  let projectId: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--project-id' || arg === '--project_id') {
      projectId = rest[++i];
      if (!projectId) return { error: `${arg} needs a value` };
    } else if (arg.startsWith('--project-id=')) {
      projectId = arg.slice('--project-id='.length);
      if (!projectId) return { error: '--project-id needs a value' };
    } else {
      return { error: `unknown argument: ${arg}` };
    }
  }
  return { command: 'quota', action, projectId };
}
