import { constants, hostname } from 'node:os';
import { PostgreSqlContainer, type StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import { RabbitMQContainer, type StartedRabbitMQContainer } from '@testcontainers/rabbitmq';
import { getContainerRuntimeClient } from 'testcontainers';
import type { Infrastructure } from './infrastructure';

/**
 * Marks the suite's containers with the host and pid of the jest process that owns them, so
 * that a run only ever removes what a dead run on the same host left (`.ci/run` filters on the
 * host label too).
 */
const HOST_LABEL = 'org.cinderflow.e2e.host';
const PID_LABEL = 'org.cinderflow.e2e.pid';

type PortBindings = Record<string, { HostIp?: string; HostPort?: string }[]>;

/**
 * testcontainers (v10) publishes on every interface and has no option for the host address, so
 * the bindings are rewritten just before the container is created.
 */
function publishOnLoopback(hostConfig: { PortBindings?: PortBindings }): void {
  for (const bindings of Object.values(hostConfig.PortBindings ?? {})) {
    for (const binding of bindings) binding.HostIp = '127.0.0.1';
  }
}

class LoopbackPostgreSqlContainer extends PostgreSqlContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    publishOnLoopback(this.hostConfig);
  }
}

class LoopbackRabbitMQContainer extends RabbitMQContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    publishOnLoopback(this.hostConfig);
  }
}

interface Started {
  postgres?: StartedPostgreSqlContainer;
  rabbitmq?: StartedRabbitMQContainer;
}

const KEY = Symbol.for('cinderflow.e2e.containers');
type Holder = typeof globalThis & { [KEY]?: Started };

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Without the resource reaper (its image can't be pulled everywhere), a run killed with SIGKILL
 * leaves its containers behind: the next run removes those whose owner process is gone.
 */
async function removeOrphans(): Promise<void> {
  const { container } = await getContainerRuntimeClient();
  const found = await container.dockerode.listContainers({
    all: true,
    filters: { label: [`${HOST_LABEL}=${hostname()}`] },
  });
  for (const info of found) {
    const owner = Number(info.Labels[PID_LABEL]);
    if (Number.isInteger(owner) && owner !== process.pid && !isAlive(owner)) {
      process.stdout.write(
        `[e2e] removing container ${info.Names[0] ?? info.Id} left by pid ${owner}\n`,
      );
      await container.getById(info.Id).remove({ force: true, v: true });
    }
  }
}

const ownerLabel = () => ({ [HOST_LABEL]: hostname(), [PID_LABEL]: String(process.pid) });

/**
 * A RabbitMQ on 127.0.0.1. With `amqpPort`, AMQP is published on that fixed host port, so that
 * the broker keeps its address across a restart. The caller stops it.
 */
export function startRabbitMq(amqpPort?: number): Promise<StartedRabbitMQContainer> {
  const container = new LoopbackRabbitMQContainer('rabbitmq:3-management').withLabels(ownerLabel());
  if (amqpPort !== undefined) container.withExposedPorts({ container: 5672, host: amqpPort });
  return container.start();
}

/**
 * A PostgreSQL on 127.0.0.1 (user and password `postgres`). With `port`, published on that fixed
 * host port, so that it keeps its address across a restart. The caller stops it.
 */
export function startPostgres(
  options: { port?: number; durable?: boolean } = {},
): Promise<StartedPostgreSqlContainer> {
  const container = new LoopbackPostgreSqlContainer('postgres:15')
    .withLabels(ownerLabel())
    .withDatabase('postgres')
    .withUsername('postgres')
    .withPassword('postgres');
  // Faster for the run's throw-away databases; a test that restarts its server needs what a
  // real deployment has: a commit that was acknowledged survives.
  if (!options.durable) {
    container.withCommand([
      'postgres',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ]);
  }
  if (options.port !== undefined) {
    container.withExposedPorts({ container: 5432, host: options.port });
  }
  return container.start();
}

/** One PostgreSQL and one RabbitMQ for the whole run, published on 127.0.0.1 only. */
export async function startContainers(): Promise<Infrastructure> {
  await removeOrphans();
  const started: Started = {};
  (globalThis as Holder)[KEY] = started;
  // Ctrl-C or a kill while the suite runs: stop the containers, then exit as the signal would.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      void stopContainers().finally(() => process.exit(128 + constants.signals[signal]));
    });
  }
  const results = await Promise.allSettled([
    startPostgres().then((c) => (started.postgres = c)),
    startRabbitMq().then((c) => (started.rabbitmq = c)),
  ]);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed || !started.postgres || !started.rabbitmq) {
    await stopContainers(); // the one that did start must not outlive the run
    throw failed?.reason ?? new Error('containers did not start');
  }
  return {
    source: 'testcontainers',
    databaseUrl: `postgres://postgres:postgres@127.0.0.1:${started.postgres.getMappedPort(5432)}/postgres`,
    amqpUrl: `amqp://guest:guest@127.0.0.1:${started.rabbitmq.getMappedPort(5672)}`,
  };
}

export async function stopContainers(): Promise<void> {
  const started = (globalThis as Holder)[KEY];
  if (!started) return;
  (globalThis as Holder)[KEY] = undefined;
  await Promise.allSettled([started.postgres?.stop(), started.rabbitmq?.stop()]);
}
