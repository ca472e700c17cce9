import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Cluster } from './cluster';

const run = promisify(execFile);
export const GLANCE = '/usr/bin/glance';

/** Whether python-glanceclient is installed; its tests are skipped (with a note) if not. */
export function hasGlanceCli(): boolean {
  if (existsSync(GLANCE)) return true;
  process.stderr.write(
    `${GLANCE} is missing (apt-get install python3-glanceclient): glanceclient tests skipped\n`,
  );
  return false;
}

/**
 * python-glanceclient from Debian against a test cluster's glance-api, as a user would type it
 * with a noauth `user:project` token (always an admin: the client can't send X-Roles).
 *
 * Two details of how the CLI runs:
 * - Its stdin is closed (`<&-`): an open, non-tty stdin is image data to glanceclient, which
 *   would upload it after every image-create.
 * - `--os-auth-url` names an unused Keystone. glanceclient then caches the server's image
 *   schema under ~/.glanceclient/<hash of that URL>/, as it does for every Keystone user, and
 *   builds its options from its own base schema. Without it, the cache lands where the CLI
 *   reads its options from, and Glance's schema (which has had a `stores` property since Train)
 *   collides with image-create-via-import's own `--stores` option in glanceclient 4.1: every
 *   command after the first fails with "argument --stores: conflicting option string", against
 *   a real Glance as well.
 */
export function glanceCli(cluster: Cluster, project: string, user = 'cli-user') {
  return async (...args: string[]): Promise<string> => {
    const { stdout } = await run(
      '/bin/sh',
      [
        '-c',
        'exec "$0" "$@" <&-',
        GLANCE,
        '--os-auth-url',
        'http://127.0.0.1:9/identity/v3',
        '--os-image-url',
        cluster.glanceUrl,
        '--os-auth-token',
        `${user}:${project}`,
        ...args,
      ],
      { env: { PATH: '/usr/bin:/bin', HOME: cluster.workDir, LANG: 'C.UTF-8' }, timeout: 60_000 },
    );
    return stdout;
  };
}

/** The error glanceclient prints (and its exit code) for a command the server refused. */
export async function glanceCliError(
  cli: ReturnType<typeof glanceCli>,
  ...args: string[]
): Promise<string> {
  try {
    await cli(...args);
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return `exit ${failed.code}: ${(failed.stderr ?? '').trim()}`;
  }
  throw new Error(`glance ${args.join(' ')} succeeded`);
}
