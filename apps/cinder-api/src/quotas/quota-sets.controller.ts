import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import type { QuotaEngine } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller } from '../common/api-request';
import { forbidden } from '../common/cinder-errors';
import { projectRoutes } from '../common/project-routes';
import { quotaEngineOf } from '../common/quota';

/** cinder/api/contrib/quotas.py QuotaSetsController (show, defaults). */
@Controller(projectRoutes('os-quota-sets'))
export class QuotaSetsController {
  private readonly quotas: QuotaEngine;

  constructor(@Inject(DataSource) dataSource: DataSource, @Inject(CONFIG) config: ApiConfig) {
    this.quotas = quotaEngineOf(dataSource, config);
  }

  // The target project is `:target`, not `:id`: project ids are not uuids.
  @Get(':target/defaults')
  async defaults(@Param('target') target: string) {
    const limits = await this.quotas.defaultLimits(await this.quotas.resourceNames());
    return { quota_set: { ...limits, id: target } };
  }

  @Get(':target')
  async show(
    @Param('target') target: string,
    @Query('usage') usage: string | undefined,
    @Caller() caller: RequestContext,
  ) {
    // Cinder's volume_extension:quotas:show: admin, or a member of the target project.
    if (!caller.isAdmin && caller.projectId !== target) {
      throw forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.");
    }
    const resources = await this.quotas.resourceNames();
    const limits = await this.quotas.projectLimits(target, resources);
    // utils.get_bool_param: true for 'true', 'yes', 'on', '1' (any case).
    if (
      usage === undefined ||
      !['1', 'true', 'yes', 'on', 't', 'y'].includes(usage.toLowerCase())
    ) {
      return { quota_set: { ...limits, id: target } };
    }
    const usages = await this.quotas.usages(target);
    const detailed = Object.fromEntries(
      resources.map((r) => [
        r,
        { limit: limits[r], in_use: usages[r]?.in_use ?? 0, reserved: usages[r]?.reserved ?? 0 },
      ]),
    );
    return { quota_set: { ...detailed, id: target } };
  }
}
