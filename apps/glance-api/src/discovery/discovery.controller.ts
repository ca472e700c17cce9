import { Controller, Get, Inject } from '@nestjs/common';
import type { GlanceApiConfig } from '@cinderflow/config';
import type { ImageStores } from '@cinderflow/image-store';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller } from '../common/glance-request';
import { IMAGE_STORES } from '../common/tokens';
import { authorize } from '../common/policy';

/** glance_store's filesystem store reads and writes in chunks of this many bytes. */
const FILESYSTEM_CHUNK_SIZE = 65536;

/** Glance's discovery API for stores (glance/api/v2/discovery.py) over its enabled_backends. */
@Controller('v2/info')
export class DiscoveryController {
  constructor(
    @Inject(CONFIG) private readonly config: GlanceApiConfig,
    @Inject(IMAGE_STORES) private readonly stores: ImageStores,
  ) {}

  /** Every store: its id, its description when it has one, and `"default": "true"` on one. */
  @Get('stores')
  list(@Caller() _caller: RequestContext): { stores: Record<string, unknown>[] } {
    return { stores: this.describe() };
  }

  /** The same with each store's type, weight and properties; by stores_info_detail (admin or the service role). */
  @Get('stores/detail')
  detail(@Caller() caller: RequestContext): { stores: Record<string, unknown>[] } {
    authorize(caller, 'stores_info_detail');
    const dirs = new Map(this.stores.all().map((store) => [store.id, store.dir]));
    return {
      stores: this.describe().map((store) => ({
        ...store,
        type: 'file',
        properties: {
          data_dir: dirs.get(String(store.id)),
          chunk_size: FILESYSTEM_CHUNK_SIZE,
          thin_provisioning: false,
        },
        weight: 0,
      })),
    };
  }

  private describe(): Record<string, unknown>[] {
    return this.stores.all().map((store) => {
      const description = this.config.GLANCE_STORE_DESCRIPTIONS[store.id];
      return {
        id: store.id,
        ...(description ? { description } : {}),
        ...(store === this.stores.defaultStore ? { default: 'true' } : {}),
      };
    });
  }
}
