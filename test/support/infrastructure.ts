import type { getContainerRuntimeClient } from 'testcontainers';

/** Where the suite's PostgreSQL and RabbitMQ are, and who started them. */
export interface Infrastructure {
  source: 'testcontainers' | 'environment';
  databaseUrl: string;
  amqpUrl: string;
  /**
   * A database on that server with every migration applied (made by the global setup): each
   * cluster's database is a copy of it, so that services need not migrate and start together.
   */
  templateDatabase?: string;
}

export const INFRA_ENV = 'CINDERFLOW_E2E_INFRA';

/**
 * Set (to 1) by `.ci/run` once it has a container engine: then a missing engine fails the run
 * instead of quietly falling back to local services and skipping the compose smoke test.
 */
export const REQUIRE_CONTAINERS_ENV = 'CINDERFLOW_REQUIRE_CONTAINERS';

export function containersRequired(): boolean {
  return process.env[REQUIRE_CONTAINERS_ENV] === '1';
}

type Engine = Awaited<ReturnType<typeof getContainerRuntimeClient>>['container']['dockerode'];

/**
 * The Docker-compatible engine as testcontainers finds it (DOCKER_HOST, a docker context, the
 * default socket, ...), as a dockerode client; undefined when none answers.
 */
export async function containerEngine(): Promise<Engine | undefined> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    return (await getContainerRuntimeClient()).container.dockerode;
  } catch {
    return undefined;
  }
}

export function infrastructure(): Infrastructure {
  const raw = process.env[INFRA_ENV];
  if (!raw) throw new Error('the e2e global setup did not run');
  return JSON.parse(raw) as Infrastructure;
}
