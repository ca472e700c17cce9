import { Controller, Get, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import type { QuotaEngine } from '@cinderflow/persistence';
import type { RequestContext } from '@cinderflow/request-context';
import { CONFIG } from '@cinderflow/service-runtime';
import { Caller } from '../common/api-request';
import { projectRoutes } from '../common/project-routes';
import { Authorize } from '../common/policy';
import { quotaEngineOf } from '../common/quota';

/** cinder/api/views/limits.py limit_names: the absolute limits the view shows. */
const LIMIT_NAMES: Record<string, string> = {
  gigabytes: 'maxTotalVolumeGigabytes',
  backup_gigabytes: 'maxTotalBackupGigabytes',
  volumes: 'maxTotalVolumes',
  snapshots: 'maxTotalSnapshots',
  backups: 'maxTotalBackups',
};

/** cinder/api/contrib/used_limits.py quota_map: what the project uses (in_use). */
const USED_NAMES: Record<string, string> = {
  volumes: 'totalVolumesUsed',
  gigabytes: 'totalGigabytesUsed',
  snapshots: 'totalSnapshotsUsed',
  backups: 'totalBackupsUsed',
  backup_gigabytes: 'totalBackupGigabytesUsed',
};

/** `GET limits`: the caller's project's absolute limits and usage; no rate limits (none configured). */
@Controller(projectRoutes('limits'))
export class LimitsController {
  private readonly quotas: QuotaEngine;

  constructor(@Inject(DataSource) dataSource: DataSource, @Inject(CONFIG) config: ApiConfig) {
    this.quotas = quotaEngineOf(dataSource, config);
  }

  // used_limits: the caller's own project's usage.
  @Get()
  @Authorize('limits_extension:used_limits')
  async index(@Caller() caller: RequestContext) {
    const resources = Object.keys(LIMIT_NAMES);
    const limits = await this.quotas.projectLimits(caller.projectId, resources);
    const usages = await this.quotas.usages(caller.projectId);
    const absolute: Record<string, number> = {};
    for (const r of resources) absolute[LIMIT_NAMES[r]] = limits[r];
    for (const r of Object.keys(USED_NAMES)) absolute[USED_NAMES[r]] = usages[r]?.in_use ?? 0;
    return { limits: { rate: [], absolute } };
  }
}
