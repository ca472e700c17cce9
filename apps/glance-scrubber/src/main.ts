import 'reflect-metadata';
import {
  ConfigError,
  type GlanceScrubberConfig,
  glanceScrubberSpec,
  loadConfig,
} from '@cinderflow/config';
import { ImageStores } from '@cinderflow/image-store';
import { createLogger } from '@cinderflow/logging';
import { createDataSource, runMigrations } from '@cinderflow/persistence';
import { Heartbeat, preflight } from '@cinderflow/service-runtime';
import { parseInvocation, USAGE } from './cli';
import { Scrubber } from './scrubber';

/** Its `binary` in `services` (and the health check's argument). */
export const BINARY = 'glance-scrubber';

/** After a failed pass (the database away), the next one comes this soon at the latest. */
const RETRY_S = 5;

async function main(): Promise<void> {
  const invocation = parseInvocation(process.argv.slice(2));
  if ('error' in invocation) {
    process.stderr.write(`${BINARY}: ${invocation.error}\n${USAGE}`);
    process.exit(2);
  }
  if (invocation.mode === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  let config: GlanceScrubberConfig;
  try {
    config = loadConfig(glanceScrubberSpec);
  } catch (error) {
    process.stderr.write(`${BINARY}: ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const logger = createLogger(BINARY, { level: config.LOG_LEVEL });
  // The scrubber talks to PostgreSQL and the stores only.
  const problems = await preflight(config.DATABASE_URL);
  if (problems.length > 0) {
    problems.forEach((problem) => logger.fatal(problem));
    process.exit(1);
  }
  const dataSource = createDataSource(config.DATABASE_URL, config.GLANCE_SCRUB_POOL_SIZE + 2);
  await dataSource.initialize();
  const applied = await runMigrations(dataSource);
  if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
  const scrubber = new Scrubber(
    dataSource,
    new ImageStores(config.GLANCE_STORES, config.GLANCE_DEFAULT_STORE, {
      thinProvisioning: config.GLANCE_FILESYSTEM_THIN_PROVISIONING,
    }),
    {
      scrubTimeS: config.GLANCE_SCRUB_TIME_S,
      poolSize: config.GLANCE_SCRUB_POOL_SIZE,
      delayMs: config.GLANCE_SCRUB_DELAY_MS,
    },
    logger,
  );

  if (invocation.mode === 'once') {
    let failed = true;
    try {
      const report = await scrubber.pass();
      logger.info(report, 'scrub pass done');
      failed = report.failed > 0;
    } catch (error) {
      logger.error({ err: (error as Error).message }, 'scrub pass failed');
    }
    await dataSource.destroy();
    process.exit(failed ? 1 : 0);
  }

  const heartbeat = new Heartbeat(
    dataSource,
    {
      host: config.SERVICE_HOST,
      binary: BINARY,
      topic: BINARY,
      availabilityZone: config.AVAILABILITY_ZONE,
    },
    config.REPORT_INTERVAL_S,
    logger,
  );
  await heartbeat.start();
  let stopping = false;
  let wake: () => void = () => undefined;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping after the location under way');
    scrubber.stop();
    wake();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  logger.info(
    {
      interval_s: config.GLANCE_SCRUB_INTERVAL_S,
      scrub_time_s: config.GLANCE_SCRUB_TIME_S,
      pool_size: config.GLANCE_SCRUB_POOL_SIZE,
      stores: config.GLANCE_STORES.map((store) => store.id),
    },
    'started',
  );
  while (!stopping) {
    let waitS = config.GLANCE_SCRUB_INTERVAL_S;
    try {
      const report = await scrubber.pass();
      const worked = Object.values(report).some((count) => count > 0);
      logger[worked ? 'info' : 'debug'](report, 'scrub pass done');
    } catch (error) {
      waitS = Math.min(waitS, RETRY_S);
      logger.warn({ err: (error as Error).message }, 'scrub pass failed; trying again soon');
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitS * 1000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
  heartbeat.stop();
  await dataSource.destroy();
  logger.info('stopped');
  process.exit(0);
}

void main();
