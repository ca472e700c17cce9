import { Body, Controller, Get, Inject, Param, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { QuotaAdmin, type QuotaEngine } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller } from '../common/api-request';
import { projectRoutes } from '../common/project-routes';
import { authorize } from '../common/policy';
import { quotaEngineOf } from '../common/quota';
import { checkNameLength, parseQuotaClassSet } from '../quotas/quota-bodies';

/**
 * cinder/api/contrib/quota_classes.py QuotaClassSetsController. The `default` class is what
 * every project without its own limit for a resource gets; other classes fall back to it.
 */
@Controller(projectRoutes('os-quota-class-sets'))
export class QuotaClassSetsController {
  private readonly quotas: QuotaEngine;
  private readonly admin: QuotaAdmin;

  constructor(@Inject(DataSource) dataSource: DataSource, @Inject(CONFIG) config: ApiConfig) {
    this.quotas = quotaEngineOf(dataSource, config);
    this.admin = new QuotaAdmin(dataSource, this.quotas);
  }

  @Get(':className')
  async show(@Param('className') className: string, @Caller() caller: RequestContext) {
    authorize(caller, 'volume_extension:quota_classes:get');
    const limits = await this.admin.classLimits(className, await this.quotas.resourceNames());
    return { quota_class_set: { ...limits, id: className } };
  }

  @Put(':className')
  async update(
    @Param('className') className: string,
    @Body() body: unknown,
    @Caller() caller: RequestContext,
  ) {
    const resources = await this.quotas.resourceNames();
    const limits = parseQuotaClassSet(body, new Set(resources));
    authorize(caller, 'volume_extension:quota_classes:update');
    checkNameLength(className, 'quota_class_name');
    await this.admin.setClassLimits(className, limits);
    return { quota_class_set: await this.admin.classLimits(className, resources) };
  }
}
