import { writeFile } from 'node:fs/promises';
import type { Logger } from '@cinderflow/logging';
import { type ServiceIdentity, ServiceRegistry } from '@cinderflow/persistence';
import type { DataSource } from 'typeorm';
import { brokerStateFile } from './broker-state';

/**
 * Registers the service in `services` and keeps its heartbeat fresh. The heartbeat goes on
 * while RabbitMQ is away (as Cinder's report_state: the service is alive, and schedulers must
 * not give up on its backend the moment the broker is back); whether the broker is reachable
 * goes to a local file instead, which the container health check reads.
 */
export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly registry: ServiceRegistry;

  constructor(
    dataSource: DataSource,
    private readonly identity: ServiceIdentity,
    private readonly intervalS: number,
    private readonly logger: Logger,
    private readonly brokerConnected: () => boolean = () => true,
  ) {
    this.registry = new ServiceRegistry(dataSource);
  }

  async start(): Promise<void> {
    await this.registry.register(this.identity);
    this.logger.info(
      { host: this.identity.host, binary: this.identity.binary },
      'service registered',
    );
    this.schedule(this.intervalS * 1000);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat(), ms);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const broker = this.brokerConnected();
    await writeFile(
      brokerStateFile(this.identity.binary, this.identity.host),
      broker ? 'connected' : 'disconnected',
    ).catch(() => undefined);
    try {
      await this.registry.heartbeat(this.identity.host, this.identity.binary);
      this.schedule(this.intervalS * 1000);
    } catch (error) {
      // Soon again: once the database is back, the service should look up at once.
      this.logger.warn({ err: (error as Error).message }, 'heartbeat failed');
      this.schedule(1000);
    }
  }
}
