import { Controller, Get, Inject, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { VolumeSummaryRepository } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { Caller, Version } from '../common/api-request';
import { notFound } from '../common/cinder-errors';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';
import { Authorize } from '../common/policy';

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];

/**
 * `GET /volumes/summary` (3.12; the distinct metadata from 3.36). Registered before the volumes
 * controller, whose `volumes/:id` would otherwise take the path.
 */
@Controller(projectRoutes('volumes'))
export class VolumeSummaryController {
  private readonly repo: VolumeSummaryRepository;

  constructor(@Inject(DataSource) dataSource: DataSource) {
    this.repo = new VolumeSummaryRepository(dataSource.manager);
  }

  @Get('summary')
  @Authorize('volume:get_all')
  async summary(
    @Query('all_tenants') allTenants: unknown,
    @Caller() caller: RequestContext,
    @Version() version: ApiVersion,
  ) {
    // Cinder answers a method its version lacks as if there were no such route.
    if (!version.atLeast('3.12')) throw notFound('The resource could not be found.');
    const flag = Array.isArray(allTenants) ? allTenants[allTenants.length - 1] : allTenants;
    const everyone =
      typeof flag === 'string' && TRUE_STRINGS.includes(flag.toLowerCase()) && caller.isAdmin;
    const summary = await this.repo.summarize(everyone ? undefined : caller.projectId);
    return {
      'volume-summary': {
        total_count: summary.totalCount,
        total_size: summary.totalSize,
        ...(version.atLeast('3.36') ? { metadata: summary.metadata } : {}),
      },
    };
  }
}
