import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ApiConfig } from '@cinderflow/config';
import { Binaries } from '@cinderflow/contracts';
import { isServiceUp, ServiceRegistry, ServicesRepository } from '@cinderflow/persistence';
import { CONFIG } from '@cinderflow/service-runtime';
import { notFound } from '../common/cinder-errors';
import { timestamp } from '../common/links';
import { projectRoutes } from '../common/project-routes';
import { Authorize } from '../common/policy';

/** `os-hosts` (cinder/api/contrib/hosts.py, deprecated upstream but still served): admin only. */
@Controller(projectRoutes('os-hosts'))
export class HostsController {
  private readonly registry: ServiceRegistry;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {
    this.registry = new ServiceRegistry(dataSource);
  }

  /** The enabled services, one entry each, optionally of one availability zone. */
  @Get()
  @Authorize('volume_extension:hosts')
  async list(@Query('zone') zone: string | undefined) {
    const now = new Date();
    const services = (await this.registry.list()).filter(
      (s) =>
        s.binary.startsWith('cinder-') && !s.disabled && (!zone || s.availability_zone === zone),
    );
    return {
      hosts: services.map((s) => ({
        host_name: s.host,
        service: s.topic,
        zone: s.availability_zone,
        'service-status': isServiceUp(s, now, this.config.SERVICE_DOWN_TIME_S)
          ? 'available'
          : 'unavailable',
        'service-state': s.disabled ? 'disabled' : 'enabled',
        'last-update': timestamp(s.updated_at),
      })),
    };
  }

  /**
   * What one volume host holds: a `(total)` entry, then one per project (volume and snapshot
   * counts and GiB, as strings, Cinder's shape).
   */
  @Get(':host')
  @Authorize('volume_extension:hosts')
  async show(@Param('host') host: string) {
    // Service.get_by_host_and_topic: the first cinder-volume service matching the host.
    const [service] = (await this.registry.list({ host })).filter(
      (s) => s.topic === Binaries.volume,
    );
    if (!service) throw notFound(`Service ${Binaries.volume} could not be found on host ${host}.`);
    const usage = await new ServicesRepository(this.dataSource.manager).usageOnBackend(
      service.host,
    );
    const total = usage.reduce(
      (t, u) => ({
        volume_count: t.volume_count + u.volume_count,
        volume_gb: t.volume_gb + u.volume_gb,
        snapshot_count: t.snapshot_count + u.snapshot_count,
        snapshot_gb: t.snapshot_gb + u.snapshot_gb,
      }),
      { volume_count: 0, volume_gb: 0, snapshot_count: 0, snapshot_gb: 0 },
    );
    const entry = (project: string, u: typeof total) => ({
      resource: {
        host,
        project,
        volume_count: String(u.volume_count),
        total_volume_gb: String(u.volume_gb),
        snapshot_count: String(u.snapshot_count),
        total_snapshot_gb: String(u.snapshot_gb),
      },
    });
    return {
      host: [entry('(total)', total), ...usage.map((u) => entry(u.project_id, u))],
    };
  }
}
