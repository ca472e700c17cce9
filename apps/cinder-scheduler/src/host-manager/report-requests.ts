import { Inject, Injectable } from '@nestjs/common';
import { Binaries, Destinations, VolumeRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import { currentContext, systemContext } from '@cinderflow/request-context';
import { LOGGER, RPC_CLIENT } from '@cinderflow/service-runtime';

/** How often a scheduler missing reports asks again; a request reaches every backend. */
export const REPORT_REQUEST_INTERVAL_MS = 5_000;

/**
 * Asks every cinder-volume to report its capabilities (publish_service_capabilities on the
 * volume fanout). The reports come back on this scheduler's own queue on the scheduler fanout,
 * which exists only once the AMQP server has bound it: reports asked for before that are
 * published to nobody. So nothing is asked until `listening()` says the queue is bound, and
 * then at once, since a scheduler that just started knows no backend.
 */
@Injectable()
export class ReportRequests {
  private bound = false;
  private lastRequest = 0;
  private markBound!: () => void;
  private readonly whenBound = new Promise<void>((resolve) => (this.markBound = resolve));
  private readonly log: Logger;

  constructor(
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ component: 'report-requests' });
  }

  /** This scheduler's fanout queue is bound: reports reach it from now on, so ask for them. */
  async listening(): Promise<void> {
    this.bound = true;
    this.markBound();
    await this.request();
  }

  /** Whether the fanout queue is bound, waiting up to `timeoutMs` for it. */
  async waitUntilBound(timeoutMs: number): Promise<boolean> {
    if (this.bound) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.whenBound, timeout]);
    clearTimeout(timer);
    return this.bound;
  }

  /** Asks again, unless the queue is not bound yet or the last request is recent. */
  async requestIfDue(): Promise<void> {
    if (!this.bound || Date.now() - this.lastRequest < REPORT_REQUEST_INTERVAL_MS) return;
    await this.request();
  }

  private async request(): Promise<void> {
    this.lastRequest = Date.now();
    try {
      await this.rpc.cast(
        Destinations.volumeFanout(),
        VolumeRpc.publishServiceCapabilities,
        {},
        currentContext() ?? systemContext(Binaries.scheduler),
      );
      this.log.info('asked every backend for its capabilities');
    } catch (error) {
      // The periodic reports still come; a request that could not be sent is only a delay.
      this.log.warn({ err: (error as Error).message }, 'could not ask for capability reports');
    }
  }
}
