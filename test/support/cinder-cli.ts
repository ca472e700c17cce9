import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Cluster } from './cluster';

const run = promisify(execFile);
export const CINDER = '/usr/bin/cinder';
export const CLI_PROJECT = 'fedcba9876543210fedcba9876543210';

/** python-cinderclient from Debian, against a test cluster's API, as a user would type it. */
export function cinderCli(cluster: Cluster, project = CLI_PROJECT) {
  return async (...args: string[]): Promise<string> => {
    const { stdout } = await run(
      CINDER,
      [
        '--os-auth-type',
        'noauth',
        '--os-endpoint',
        `${cluster.apiUrl}/v3`,
        '--os-user-id',
        'cli-user',
        '--os-project-id',
        project,
        ...args,
      ],
      { env: { PATH: '/usr/bin:/bin', HOME: cluster.workDir, LANG: 'C.UTF-8' }, timeout: 60_000 },
    );
    return stdout;
  };
}

export function requireCinderCli(): void {
  if (!existsSync(CINDER)) {
    throw new Error(`${CINDER} is missing: apt-get install python3-cinderclient (.ci/run does)`);
  }
}

/** Rows of a prettytable as {column: value}. */
export function table(output: string): Record<string, string>[] {
  const lines = output.split('\n').filter((l) => l.startsWith('|'));
  const cells = (line: string) =>
    line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const [header, ...rows] = lines.map(cells);
  return rows.map((row) => Object.fromEntries(header.map((h, i) => [h, row[i]])));
}

/** A `Property | Value` table as an object. */
export function properties(output: string): Record<string, string> {
  return Object.fromEntries(table(output).map((row) => [row.Property, row.Value]));
}
