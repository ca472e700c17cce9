import { Controller, Get } from '@nestjs/common';
import { projectRoutes } from '../common/project-routes';
import { AvailabilityZonesService } from './availability-zones.service';

@Controller(projectRoutes('os-availability-zone'))
export class AvailabilityZonesController {
  constructor(private readonly zones: AvailabilityZonesService) {}

  @Get()
  async list() {
    const zones = await this.zones.list();
    return {
      availabilityZoneInfo: zones.map((z) => ({
        zoneName: z.name,
        zoneState: { available: z.available },
      })),
    };
  }
}
