import { Controller, Get, Inject, Param } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Binaries, Destinations, VolumeRpc } from '@cinderflow/contracts';
import { type RpcClient, RpcTimeoutError } from '@cinderflow/messaging';
import { ServiceRegistry } from '@cinderflow/persistence';
import { RPC_CLIENT } from '@cinderflow/service-runtime';
import { CinderHttpError, notFound } from '../common/cinder-errors';
import { projectRoutes } from '../common/project-routes';
import { Authorize } from '../common/policy';

/** `GET /capabilities/{host}` (cinder/api/contrib/capabilities.py): asks the backend itself. */
@Controller(projectRoutes('capabilities'))
export class CapabilitiesController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(RPC_CLIENT) private readonly rpc: RpcClient,
  ) {}

  @Get(':host')
  @Authorize('volume_extension:capabilities')
  async show(@Param('host') host: string) {
    const [service] = await new ServiceRegistry(this.dataSource).list({
      host,
      binary: Binaries.volume,
    });
    if (!service) throw notFound(`Can't find service: ${host}`);
    let caps: Record<string, unknown>;
    try {
      caps = await this.rpc.call(Destinations.volume(service.host), VolumeRpc.getCapabilities, {
        discover: false,
      });
    } catch (error) {
      if (error instanceof RpcTimeoutError) {
        throw new CinderHttpError(
          502,
          `Timeout while requesting capabilities from backend ${service.host}.`,
        );
      }
      throw error;
    }
    return capabilitiesView(caps, service.host);
  }
}

/** cinder/api/views/capabilities.py summary. */
export function capabilitiesView(caps: Record<string, unknown>, topic: string) {
  const protocol = caps.storage_protocol;
  return {
    namespace: `OS::Storage::Capabilities::${topic}`,
    vendor_name: caps.vendor_name ?? null,
    volume_backend_name: caps.volume_backend_name ?? null,
    pool_name: caps.pool_name ?? null,
    driver_version: caps.driver_version ?? null,
    storage_protocol: (Array.isArray(protocol) ? protocol[0] : protocol) ?? null,
    display_name: caps.display_name ?? null,
    description: caps.description ?? null,
    visibility: caps.visibility ?? null,
    replication_targets: caps.replication_targets ?? [],
    properties: caps.properties ?? null,
  };
}
