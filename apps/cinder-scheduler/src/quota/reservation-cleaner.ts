import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SchedulerConfig } from '@cinderflow/config';
import type { Logger } from '@cinderflow/logging';
import { QuotaAdmin, QuotaEngine } from '@cinderflow/persistence';
import { CONFIG, LOGGER } from '@cinderflow/service-runtime';

/**
 * Cinder's SchedulerManager._clean_expired_reservation: every reservation_clean_interval, the
 * quota reservations past their expiry (a caller that reserved and died before committing or
 * rolling back) are rolled back, so what they held is usable again.
 */
@Injectable()
export class ReservationCleaner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly admin: QuotaAdmin;
  private readonly log: Logger;

  constructor(
    @Inject(DataSource) dataSource: DataSource,
    @Inject(CONFIG) private readonly config: SchedulerConfig,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.admin = new QuotaAdmin(dataSource, new QuotaEngine(dataSource));
    this.log = logger.child({ component: 'reservation-cleaner' });
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      // One pass at a time: a slow pass is not stacked on.
      this.running ??= this.clean()
        .then(() => undefined)
        .finally(() => (this.running = undefined));
    }, this.config.RESERVATION_CLEAN_INTERVAL_S * 1000);
    this.timer.unref();
  }

  /** One pass; a failure (the database away) is logged and the next interval tries again. */
  async clean(): Promise<number> {
    try {
      const expired = await this.admin.expireReservations();
      if (expired > 0) this.log.info({ expired }, 'expired quota reservations rolled back');
      return expired;
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'expiring quota reservations failed');
      return 0;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
