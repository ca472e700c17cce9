import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GlanceApiConfig } from '@cinderflow/config';
import type { Logger } from '@cinderflow/logging';
import { ImageUploadReservationsRepository } from '@cinderflow/persistence';
import { CONFIG, LOGGER } from '@cinderflow/service-runtime';

/** Reservations one sweep forgets at most. */
const SWEEP_BATCH = 500;

/**
 * Forgets upload reservations past GLANCE_UPLOAD_RESERVATION_EXPIRE_S (an upload whose
 * glance-api died, or that stalled that long). glance-api runs it rather than glance-scrubber:
 * glance-api takes the reservations and is always deployed, while the scrubber is only needed
 * with delayed delete. An expired reservation already counts for nothing in the quota; the
 * sweep only removes its row. Every glance-api may sweep: rows another one is removing are
 * skipped.
 */
@Injectable()
export class ReservationExpiry implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: GlanceApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    // An expired row lingers at most half the expiry time (and at most a minute).
    const expireS = this.config.GLANCE_UPLOAD_RESERVATION_EXPIRE_S;
    const intervalMs = Math.max(1, Math.min(expireS / 2, 60)) * 1000;
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; returns how many reservations it forgot. */
  async sweep(): Promise<number> {
    try {
      const expired = await new ImageUploadReservationsRepository(
        this.dataSource.manager,
      ).deleteExpired(SWEEP_BATCH);
      for (const reservation of expired) {
        this.logger.warn(reservation, 'upload reservation expired: its quota is given back');
      }
      return expired.length;
    } catch (error) {
      // The database away: the next pass tries again.
      this.logger.warn({ err: (error as Error).message }, 'upload reservation sweep failed');
      return 0;
    }
  }
}
