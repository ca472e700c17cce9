import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { QuotaAdmin, type QuotaEngine } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller } from '../common/api-request';
import { badRequest } from '../common/cinder-errors';
import { projectRoutes } from '../common/project-routes';
import { authorize } from '../common/policy';
import { quotaEngineOf } from '../common/quota';
import { checkNameLength, parseQuotaSet } from './quota-bodies';

/** cinder/api/contrib/quotas.py QuotaSetsController (show, defaults, update, delete). */
@Controller(projectRoutes('os-quota-sets'))
export class QuotaSetsController {
  private readonly quotas: QuotaEngine;
  private readonly admin: QuotaAdmin;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) config: ApiConfig,
  ) {
    this.quotas = quotaEngineOf(dataSource, config);
    this.admin = new QuotaAdmin(dataSource, this.quotas);
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
    // The target is the project asked about: a reader of it, or an admin.
    authorize(caller, 'volume_extension:quotas:show', { project_id: target });
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

  @Put(':target')
  async update(
    @Param('target') target: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
  ) {
    // As in Cinder: the body's schema first, then the policy, then the id's length.
    const resources = await this.quotas.resourceNames();
    const limits = parseQuotaSet(body, new Set(resources));
    authorize(caller, 'volume_extension:quotas:update', { project_id: target });
    checkNameLength(target, 'quota_set_name');
    await this.dataSource.transaction(async (m) => {
      // The usage rows locked as reserve locks them: no reserve slips in between the check
      // against what is used and the new limit.
      const keys = Object.keys(limits).sort();
      await m.query(
        `SELECT id FROM quota_usages WHERE project_id = $1 AND resource = ANY($2)
         ORDER BY resource FOR UPDATE`,
        [target, keys],
      );
      const usages = await this.quotas.usages(target, m);
      for (const key of Object.keys(limits)) {
        // _validate_existing_resource: -1 is always above what exists; per_volume_gigabytes
        // limits one volume, not a total.
        const value = limits[key];
        if (key === 'per_volume_gigabytes' || value === -1) continue;
        const used = (usages[key]?.in_use ?? 0) + (usages[key]?.reserved ?? 0);
        if (value < used) {
          throw badRequest(
            `Quota ${key} limit must be equal or greater than existing resources. Current usage is ${used} and the requested limit is ${value}.`,
          );
        }
      }
      await this.admin.setProjectLimits(target, limits, m);
    });
    return { quota_set: await this.quotas.projectLimits(target, resources) };
  }

  /** Back to the defaults: the project's own limits go; its usages stay (they count what exists). */
  @Delete(':target')
  @HttpCode(200)
  async remove(@Param('target') target: string, @Caller() caller: RequestContext): Promise<void> {
    authorize(caller, 'volume_extension:quotas:delete', { project_id: target });
    await this.admin.destroyProjectLimits(target);
  }
}
