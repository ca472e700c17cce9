import 'reflect-metadata';
import { ConfigError, loadConfig, manageSpec } from '@cinderflow/config';
import { createDataSource, formatRecount, recountQuotaUsages } from '@cinderflow/persistence';
import { parseInvocation, USAGE } from './cli';

/** cinder-manage: the operator's commands that work on the database directly. */
async function main(): Promise<number> {
  const invocation = parseInvocation(process.argv.slice(2));
  if ('error' in invocation) {
    process.stderr.write(`cinder-manage: ${invocation.error}\n${USAGE}`);
    return 2;
  }
  if (invocation.command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig(manageSpec);
  } catch (error) {
    process.stderr.write(`cinder-manage: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
  const dataSource = createDataSource(config.DATABASE_URL, 2);
  await dataSource.initialize();
  try {
    const fix = invocation.action === 'sync';
    const results = await recountQuotaUsages(dataSource, {
      projectId: invocation.projectId,
      fix,
      noSnapshotGbQuota: config.NO_SNAPSHOT_GB_QUOTA,
    });
    if (invocation.projectId !== undefined && results.length === 0) {
      process.stdout.write(
        `Project id ${invocation.projectId} has no quota usage. Nothing to do.\n`,
      );
    }
    process.stdout.write(formatRecount(results, fix));
    // Cinder means `check` to fail when something is out of sync (its `discrepancy &=` never
    // lets it); a script can act on it here.
    return !fix && results.some((r) => r.drifts.length > 0) ? 1 : 0;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cinder-manage: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
