import 'reflect-metadata';
import { type DynamicModule, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type CommonConfig, ConfigError, loadConfig } from '@cinderflow/config';
import { Binaries, type Destination, Destinations } from '@cinderflow/contracts';
import { createLogger, type Logger, NestPinoLogger } from '@cinderflow/logging';
import { AmqpServer, AmqpTopology, PassThroughRpcFilter } from '@cinderflow/messaging';
import { preflight } from './preflight';

export interface ServiceDefinition<C extends CommonConfig> {
  binary: string;
  spec: Parameters<typeof loadConfig>[0];
  /** The app's root module, built from its config. */
  module(config: C, logger: Logger): DynamicModule;
  /** The queues and fanouts this service consumes. */
  destinations(config: C): Destination[];
  /** Names this process in the broker's queue list. */
  owner(config: C): string;
  /** Runs each time the service's consumers are bound, at start and after every reconnect. */
  onConsuming?(app: INestMicroservice): void;
}

/**
 * Starts one cinder-* service: validated config, structured logs, a reachable database and
 * broker, then the Nest microservice on the AMQP transport. Exits non-zero with a clear line
 * when the config is wrong or a dependency is down.
 */
export async function runService<C extends CommonConfig>(
  definition: ServiceDefinition<C>,
): Promise<INestMicroservice> {
  let config: C;
  try {
    config = loadConfig(definition.spec) as unknown as C;
  } catch (error) {
    process.stderr.write(`${definition.binary}: ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const logger = createLogger(definition.binary, { level: config.LOG_LEVEL });
  const problems = await preflight(config.DATABASE_URL, config.AMQP_URL);
  if (problems.length > 0) {
    problems.forEach((problem) => logger.fatal(problem));
    process.exit(1);
  }
  // The server binds its consumers (and calls back) from inside app.listen() below.
  const started: { app?: INestMicroservice } = {};
  const server = new AmqpServer({
    onConsuming: () => {
      if (started.app) definition.onConsuming?.(started.app);
    },
    url: config.AMQP_URL,
    topology: new AmqpTopology(config.AMQP_PREFIX),
    destinations: withOwnQueue(definition.binary, definition.destinations(config), () =>
      Destinations.service(definition.binary, definition.owner(config)),
    ),
    prefetch: config.AMQP_PREFETCH,
    owner: definition.owner(config),
    logger,
  });
  const app = await NestFactory.createMicroservice(definition.module(config, logger), {
    strategy: server,
    logger: new NestPinoLogger(logger),
  });
  started.app = app;
  app.useGlobalFilters(new PassThroughRpcFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen();
  logger.info('started');
  return app;
}

/** The Cinder services os-services set-log / get-log reach (the API answers in place). */
const LOG_BINARIES: string[] = [Binaries.scheduler, Binaries.volume, Binaries.backup];

/**
 * A Cinder service's own queue (`<binary>.<host>`: set-log, get-log) joins its destinations
 * unless already there (cinder-volume's and cinder-backup's host queues are the same).
 */
function withOwnQueue(
  binary: string,
  destinations: Destination[],
  own: () => Destination,
): Destination[] {
  if (!LOG_BINARIES.includes(binary)) return destinations;
  const queue = own();
  return destinations.some((d) => d.kind === queue.kind && d.name === queue.name)
    ? destinations
    : [...destinations, queue];
}
