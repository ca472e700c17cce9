import { Controller, Inject, type OnApplicationBootstrap } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { type CreateVolume, VolumeRpc } from '@cinderflow/contracts';
import { RpcHandler } from '@cinderflow/messaging';
import { CapabilityReporter } from './capabilities/capability-reporter';
import { VOLUME_DRIVER, type VolumeDriver } from './drivers/volume-driver';
import { CreateVolumeHandler } from './flows/create-volume/create-volume.handler';
import { DeleteVolumeHandler } from './flows/delete-volume/delete-volume.handler';
import { InitHostCleanup } from './init-host/init-host.cleanup';

/** cinder-volume's RPC surface; each handler lives with its flow. */
@Controller()
export class VolumeManagerController implements OnApplicationBootstrap {
  constructor(
    @Inject(VOLUME_DRIVER) private readonly driver: VolumeDriver,
    private readonly createVolume: CreateVolumeHandler,
    private readonly deleteVolume: DeleteVolumeHandler,
    private readonly cleanup: InitHostCleanup,
    private readonly capabilities: CapabilityReporter,
  ) {}

  /** Runs before the transport starts consuming: storage ready, leftovers settled, then report. */
  async onApplicationBootstrap(): Promise<void> {
    await this.driver.doSetup();
    await this.cleanup.run();
    await this.capabilities.report();
    this.capabilities.start();
  }

  @RpcHandler(VolumeRpc.createVolume)
  onCreateVolume(@Payload() message: CreateVolume): Promise<void> {
    return this.createVolume.handle(message);
  }

  @RpcHandler(VolumeRpc.deleteVolume)
  onDeleteVolume(@Payload() message: { volume_id: string }): Promise<void> {
    return this.deleteVolume.handle(message.volume_id);
  }

  @RpcHandler(VolumeRpc.publishServiceCapabilities)
  onPublishServiceCapabilities(): Promise<void> {
    return this.capabilities.report();
  }
}
