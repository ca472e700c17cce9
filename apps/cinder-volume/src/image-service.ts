import type { Provider } from '@nestjs/common';
import type { VolumeConfig } from '@cinderflow/config';
import { ImageServiceClient } from '@cinderflow/image-client';
import { CONFIG } from '@cinderflow/service-runtime';

/** Cinder's image service (glance.get_remote_image_service): glance-api's client. */
export const IMAGE_SERVICE = Symbol('IMAGE_SERVICE');

export const imageServiceProvider: Provider = {
  provide: IMAGE_SERVICE,
  useFactory: (config: VolumeConfig) => new ImageServiceClient(config.GLANCE_API_URL),
  inject: [CONFIG],
};
