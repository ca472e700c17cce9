import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Destinations, SchedulerRpc } from '@cinderflow/contracts';
import type { RpcClient } from '@cinderflow/messaging';
import { RPC_CLIENT } from '@cinderflow/service-runtime';
import { projectRoutes } from '../common/project-routes';
import { Authorize } from '../common/policy';

/** `scheduler-stats/get_pools`: a call to a scheduler, answered from its capability reports. */
@Controller(projectRoutes('scheduler-stats'))
export class SchedulerStatsController {
  constructor(@Inject(RPC_CLIENT) private readonly rpc: RpcClient) {}

  @Get('get_pools')
  @Authorize('scheduler_extension:scheduler_stats:get_pools')
  async getPools(
    @Query('detail') detail: string | undefined,
    @Query('name') name: string | undefined,
    @Query('volume_backend_name') backendName: string | undefined,
  ) {
    const pools = await this.rpc.call(Destinations.scheduler(), SchedulerRpc.getPools, {
      ...(name ? { backend: name.split('#')[0] } : {}),
      ...(backendName ? { volume_backend_name: backendName } : {}),
    });
    const withDetail =
      detail !== undefined && ['1', 'true', 'yes', 'on'].includes(detail.toLowerCase());
    return { pools: pools.map((p) => (withDetail ? p : { name: p.name })) };
  }
}
