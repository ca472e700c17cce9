import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a service notes, at each heartbeat, whether it reaches RabbitMQ: read by its container
 * health check (healthcheck.ts), which cannot ask the process itself.
 */
export function brokerStateFile(binary: string, host: string): string {
  return join(tmpdir(), `cinderflow-${binary}-${host.replace(/[^A-Za-z0-9._@-]/g, '_')}.broker`);
}
