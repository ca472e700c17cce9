import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GlanceApiConfig } from '@cinderflow/config';
import { type ImageStores, settleInterruptedUploads } from '@cinderflow/image-store';
import type { Logger } from '@cinderflow/logging';
import { CONFIG, LOGGER } from '@cinderflow/service-runtime';
import { IMAGE_STORES } from '../common/tokens';

/**
 * On start, before glance-api listens: the uploads this host (SERVICE_HOST) held when it last
 * died are settled (`saving → queued`, partial data removed), so no image stays `saving`
 * forever. Before listening, so that no new upload of this host can be mistaken for one of
 * them. SERVICE_HOST must therefore name one glance-api process.
 */
@Injectable()
export class UploadSettlement implements OnApplicationBootstrap {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: GlanceApiConfig,
    @Inject(IMAGE_STORES) private readonly stores: ImageStores,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const settled = await settleInterruptedUploads(
      this.dataSource,
      this.stores,
      this.config.SERVICE_HOST,
    );
    if (settled.length > 0) {
      this.logger.warn(
        { images: settled, host: this.config.SERVICE_HOST },
        'uploads interrupted by the last stop put back to queued',
      );
    }
  }
}
