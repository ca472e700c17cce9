import { Controller, Get, Inject, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { Binaries, Destinations, SchedulerRpc } from '@cinderflow/contracts';
import type { Logger } from '@cinderflow/logging';
import type { RpcClient } from '@cinderflow/messaging';
import { isServiceUp, ServiceRegistry } from '@cinderflow/persistence';
import { CONFIG, LOGGER, RPC_CLIENT } from '@cinderflow/service-runtime';
import { Version } from '../common/api-request';
import { timestamp } from '../common/links';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { Authorize } from '../common/policy';

/** `os-services`: each service up or down from its heartbeat (admin only, as in Cinder). */
@Controller(projectRoutes('os-services'))
export class ServicesController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Get()
  @Authorize('volume_extension:services:index')
  async list(
    @Query('host') host: string | undefined,
    @Query('binary') binary: string | undefined,
    @Version() version: ApiVersion,
  ) {
    // Glance's processes (glance-scrubber) heartbeat in the same table; Cinder lists its own.
    const services = (await new ServiceRegistry(this.dataSource).list({ host, binary })).filter(
      (s) => s.binary.startsWith('cinder-'),
    );
    const backendUp = version.atLeast('3.49') ? await this.poolBackends() : undefined;
    const now = new Date();
    return {
      services: services.map((s) => {
        const view: Record<string, unknown> = {
          binary: s.binary,
          host: s.host,
          zone: s.availability_zone,
          status: s.disabled ? 'disabled' : 'enabled',
          state: isServiceUp(s, now, this.config.SERVICE_DOWN_TIME_S) ? 'up' : 'down',
          updated_at: timestamp(s.updated_at),
          disabled_reason: s.disabled_reason,
        };
        if (version.atLeast('3.7')) view.cluster = null;
        if (s.binary === Binaries.volume) {
          if (backendUp) view.backend_state = backendUp.has(s.host) ? 'up' : 'down';
          // os-extended-services: no backend replicates, fails over or freezes here, which is
          // what Cinder reports for such a backend ('disabled' once its manager has started).
          view.replication_status = 'disabled';
          view.active_backend_id = null;
          view.frozen = false;
        }
        return view;
      }),
    };
  }

  /** Backends the scheduler has capabilities for (Cinder asks get_pools for backend_state). */
  private async poolBackends(): Promise<Set<string>> {
    try {
      const pools = await this.rpc.call(
        Destinations.scheduler(),
        SchedulerRpc.getPools,
        {},
        { timeoutMs: 5000 },
      );
      return new Set(pools.map((p) => p.name.split('#')[0]));
    } catch (error) {
      this.logger.warn(
        { err: (error as Error).message },
        'scheduler did not report pools; backend_state down',
      );
      return new Set();
    }
  }
}
