import { existsSync } from 'node:fs';
import { request } from 'node:http';

/** Where the suite's PostgreSQL and RabbitMQ are, and who started them. */
export interface Infrastructure {
  source: 'testcontainers' | 'environment';
  databaseUrl: string;
  amqpUrl: string;
}

export const INFRA_ENV = 'CINDERFLOW_E2E_INFRA';

/** True when a Docker-compatible engine answers on DOCKER_HOST or the default socket. */
export async function dockerEngineAnswers(): Promise<boolean> {
  const host = process.env.DOCKER_HOST;
  let socketPath: string | undefined;
  if (host?.startsWith('unix://')) socketPath = host.slice('unix://'.length);
  else if (!host && existsSync('/var/run/docker.sock')) socketPath = '/var/run/docker.sock';
  if (!socketPath || !existsSync(socketPath)) return false;
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

export function infrastructure(): Infrastructure {
  const raw = process.env[INFRA_ENV];
  if (!raw) throw new Error('the e2e global setup did not run');
  return JSON.parse(raw) as Infrastructure;
}
