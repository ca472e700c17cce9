/**
 * Container health check for the services without an HTTP port: healthy while the service's
 * own heartbeat in `services` is fresh (the same rule os-services uses for up/down) and it
 * last saw RabbitMQ connected.
 *
 *   node libs/service-runtime/dist/healthcheck.js cinder-volume
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Client } from 'pg';
import { brokerStateFile } from './broker-state';

async function main(): Promise<number> {
  const binary = process.argv[2];
  if (!binary) {
    process.stderr.write('usage: healthcheck.js <binary>\n');
    return 2;
  }
  const serviceHost = process.env.SERVICE_HOST || hostname().split('.')[0];
  const host =
    binary === 'cinder-volume'
      ? `${serviceHost}@${process.env.VOLUME_BACKEND ?? 'file-1'}`
      : serviceHost;
  const downTimeS = Number(process.env.SERVICE_DOWN_TIME_S ?? 60);
  const client = new Client({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cinderflow',
    connectionTimeoutMillis: 3000,
  });
  try {
    await client.connect();
    const { rows } = await client.query<{ age: number }>(
      `SELECT EXTRACT(EPOCH FROM ((now() AT TIME ZONE 'utc') - updated_at)) AS age
       FROM services WHERE host = $1 AND "binary" = $2`,
      [host, binary],
    );
    const age = rows[0] ? Number(rows[0].age) : undefined;
    if (age === undefined || age > downTimeS) {
      process.stderr.write(
        `${binary} on ${host}: ${age === undefined ? 'not registered' : `last heartbeat ${Math.round(age)} s ago`}\n`,
      );
      return 1;
    }
    if (brokerState(binary, host) === 'disconnected') {
      process.stderr.write(`${binary} on ${host}: RabbitMQ unreachable\n`);
      return 1;
    }
    return 0;
  } catch (error) {
    process.stderr.write(`${binary} on ${host}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function brokerState(binary: string, host: string): string | undefined {
  try {
    return readFileSync(brokerStateFile(binary, host), 'utf8');
  } catch {
    return undefined; // not written yet
  }
}

void main().then((code) => process.exit(code));
