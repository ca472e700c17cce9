import { Controller, Get, Query } from '@nestjs/common';
import { Version } from '../common/api-request';
import { notFound } from '../common/cinder-errors';
import type { ApiVersion } from '../common/microversion';
import { projectRoutes } from '../common/project-routes';

/** Cinder's etc/cinder/resource_filters.json: the filters each list accepts (3.31+). */
export const RESOURCE_FILTERS: Record<string, string[]> = {
  volume: [
    'name',
    'status',
    'metadata',
    'bootable',
    'migration_status',
    'availability_zone',
    'group_id',
    'size',
    'created_at',
    'updated_at',
    'consumes_quota',
  ],
  backup: ['name', 'status', 'volume_id'],
  snapshot: ['name', 'status', 'volume_id', 'metadata', 'availability_zone', 'consumes_quota'],
  group: ['name'],
  group_snapshot: ['name', 'status', 'group_id'],
  attachment: ['volume_id', 'status', 'instance_id', 'attach_status'],
  message: ['resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level'],
  pool: ['name', 'volume_type'],
  volume_type: ['is_public', 'extra_specs'],
};

/** `GET /resource_filters` (3.33, cinder/api/v3/resource_filters.py): any caller. */
@Controller(projectRoutes('resource_filters'))
export class ResourceFiltersController {
  @Get()
  list(@Query('resource') resource: string | undefined, @Version() version: ApiVersion) {
    if (!version.atLeast('3.33')) throw notFound('The resource could not be found.');
    // get_enabled_resource_filters: one resource (none when unknown), or all.
    const filters = resource
      ? resource in RESOURCE_FILTERS
        ? { [resource]: RESOURCE_FILTERS[resource] }
        : {}
      : RESOURCE_FILTERS;
    return {
      resource_filters: Object.entries(filters).map(([r, f]) => ({ resource: r, filters: f })),
    };
  }
}
