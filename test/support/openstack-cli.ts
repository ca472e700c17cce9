import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';

export const OPENSTACK = '/usr/bin/openstack';

/** The clouds of keystone/clouds.yaml: `cinderflow-<user>`. */
export type CloudUser = 'admin' | 'member' | 'reader' | 'other';

export function requireOpenstackCli(): void {
  if (!existsSync(OPENSTACK)) {
    throw new Error(`${OPENSTACK} is missing: apt-get install python3-openstackclient`);
  }
}

/**
 * keystone/clouds.yaml (the one the README hands out) with the auth URL of a test Keystone,
 * written into `dir`; returns its path (OS_CLIENT_CONFIG_FILE).
 */
export function writeCloudsYaml(dir: string, keystoneUrl: string): string {
  const shipped = readFileSync(resolve(__dirname, '../../keystone/clouds.yaml'), 'utf8');
  const config = parse(shipped, { merge: true }) as {
    clouds: Record<string, { auth: { auth_url: string } }>;
  };
  for (const cloud of Object.values(config.clouds)) cloud.auth.auth_url = `${keystoneUrl}/v3`;
  const path = join(dir, 'clouds.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

export interface CliFailure {
  code: number;
  stderr: string;
}

/**
 * python-openstackclient as a user types it: `openstack --os-cloud cinderflow-<user> ...`, with
 * no OS_* variables of the machine's own and `home` for its caches. Its stdin is closed (`<&-`):
 * an open, non-tty stdin is image data to `image create`.
 */
export function openstackCli(cloudsYaml: string, home: string) {
  const run = async (user: CloudUser, ...args: string[]): Promise<string> => {
    const { stdout } = await promisify(execFile)(
      '/bin/sh',
      ['-c', 'exec "$0" "$@" <&-', OPENSTACK, '--os-cloud', `cinderflow-${user}`, ...args],
      {
        env: {
          PATH: '/usr/bin:/bin',
          HOME: home,
          LANG: 'C.UTF-8',
          OS_CLIENT_CONFIG_FILE: cloudsYaml,
        },
        timeout: 60_000,
      },
    );
    return stdout;
  };
  return {
    run,
    /** `-f json` output, parsed. */
    json: async <T = Record<string, unknown>>(user: CloudUser, ...args: string[]): Promise<T> =>
      JSON.parse(await run(user, ...args, '-f', 'json')) as T,
    /** The exit status and stderr of a command that must fail. */
    fails: (user: CloudUser, ...args: string[]): Promise<CliFailure> =>
      run(user, ...args).then(
        () => {
          throw new Error(`openstack ${args.join(' ')} as ${user} did not fail`);
        },
        (error: { stderr?: string; code?: number }) => {
          if (typeof error.code !== 'number') throw error; // not an exit status: a timeout
          return { code: error.code, stderr: error.stderr ?? '' };
        },
      ),
  };
}

/**
 * python-openstackclient against cinder-api without Keystone: keystoneauth's `admin_token`
 * plugin with a fixed endpoint (the project's) and a noauth token (`user:project`). Stdin
 * closed, as above.
 */
export function openstackNoauth(
  cluster: { apiUrl: string; workDir: string },
  options: { project: string; user?: string; volumeApiVersion?: string },
) {
  const { project, user = 'cli-user', volumeApiVersion = '3' } = options;
  return async (...args: string[]): Promise<string> => {
    const { stdout } = await promisify(execFile)(
      '/bin/sh',
      [
        '-c',
        'exec "$0" "$@" <&-',
        OPENSTACK,
        '--os-auth-type',
        'admin_token',
        '--os-endpoint',
        `${cluster.apiUrl}/v3/${project}`,
        '--os-token',
        `${user}:${project}`,
        '--os-volume-api-version',
        volumeApiVersion,
        ...args,
      ],
      { env: { PATH: '/usr/bin:/bin', HOME: cluster.workDir, LANG: 'C.UTF-8' }, timeout: 60_000 },
    );
    return stdout;
  };
}
