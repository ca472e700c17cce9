import { existsSync } from 'node:fs';
import { request } from 'node:http';

/** Where the suite's PostgreSQL and RabbitMQ are, and who started them. */
export interface Infrastructure {
  source: 'testcontainers' | 'environment';
  databaseUrl: string;
  amqpUrl: string;
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

/** The engine's unix socket: DOCKER_HOST (unix:// only) or Docker's default socket. */
function engineSocket(): string | undefined {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  if (!host && existsSync('/var/run/docker.sock')) return '/var/run/docker.sock';
  return undefined;
}

/** GET on the Docker Engine API; resolves with the status code and parsed JSON body. */
export function engineGet<T = unknown>(path: string): Promise<{ status: number; body: T }> {
  const socketPath = engineSocket();
  if (!socketPath || !existsSync(socketPath)) {
    return Promise.reject(new Error('no container engine socket (DOCKER_HOST)'));
  }
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method: 'GET', timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // `/_ping` answers plain text
        }
        resolve({ status: res.statusCode ?? 0, body: body as T });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`container engine: GET ${path} timed out`)));
    req.end();
  });
}

/** True when a Docker-compatible engine answers on DOCKER_HOST or the default socket. */
export async function dockerEngineAnswers(): Promise<boolean> {
  try {
    return (await engineGet('/_ping')).status === 200;
  } catch {
    return false;
  }
}

export function infrastructure(): Infrastructure {
  const raw = process.env[INFRA_ENV];
  if (!raw) throw new Error('the e2e global setup did not run');
  return JSON.parse(raw) as Infrastructure;
}
