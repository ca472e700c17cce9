import type { Logger } from '@cinderflow/logging';
import { type ServiceIdentity, ServiceRegistry } from '@cinderflow/persistence';
import type { DataSource } from 'typeorm';

/** Registers the service in `services` and keeps its heartbeat fresh. */
export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private readonly registry: ServiceRegistry;

  constructor(
    dataSource: DataSource,
    private readonly identity: ServiceIdentity,
    private readonly intervalS: number,
    private readonly logger: Logger,
    /** A service cut off from RabbitMQ cannot do its work: it lets its heartbeat go stale. */
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
    this.timer = setInterval(() => {
      if (!this.brokerConnected()) {
        this.logger.warn('no heartbeat while RabbitMQ is unreachable');
        return;
      }
      this.registry
        .heartbeat(this.identity.host, this.identity.binary)
        .catch((error: Error) => this.logger.warn({ err: error.message }, 'heartbeat failed'));
    }, this.intervalS * 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
