import amqplib from 'amqplib';
import { Client } from 'pg';
import { redact } from './database.module';

/**
 * Checks that PostgreSQL and RabbitMQ answer before a service starts, so that a missing
 * dependency is one clear line instead of a retry loop. Without `amqpUrl` only PostgreSQL (a
 * service that uses no broker, such as glance-scrubber).
 */
export async function preflight(databaseUrl: string, amqpUrl?: string): Promise<string[]> {
  const problems: string[] = [];
  const pg = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await pg.connect();
    await pg.query('SELECT 1');
  } catch (error) {
    const code = (error as { code?: string }).code;
    problems.push(
      code === '3D000'
        ? `PostgreSQL answers at ${redact(databaseUrl)} but ${(error as Error).message}: create it (npm start does) or set DATABASE_URL.`
        : `PostgreSQL is unreachable at ${redact(databaseUrl)} (${(error as Error).message}). ` +
            `Start it (e.g. pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) or set DATABASE_URL.`,
    );
  } finally {
    await pg.end().catch(() => undefined);
  }
  if (amqpUrl === undefined) return problems;
  try {
    const connection = await amqplib.connect(amqpUrl, { timeout: 5000 });
    await connection.close();
  } catch (error) {
    problems.push(
      `RabbitMQ is unreachable at ${redact(amqpUrl)} (${(error as Error).message}). ` +
        `Start it (e.g. rabbitmq-server -detached) or set AMQP_URL.`,
    );
  }
  return problems;
}
